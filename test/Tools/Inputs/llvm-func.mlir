// An LLVM dialect module for the translation driver.
llvm.func @f() {
  llvm.return
}
