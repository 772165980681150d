# Writes a function whose constant, 401 floats on one line as MLIR prints it, has a syntax
# error at its end (column 2030): the input of diagnostics-long-source-lines.test.
values = ", ".join(["0.5"] * 400)
print("func.func @f() -> tensor<401xf32> {")
print("  // expected-error @+1 {{expected element literal of primitive type}}")
print("  %c = arith.constant dense<[" + values + ", oops]> : tensor<401xf32>")
print("  return %c : tensor<401xf32>")
print("}")
