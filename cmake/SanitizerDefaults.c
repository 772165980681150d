/*===- SanitizerDefaults.c - Default options of bnn's sanitized executables -===*
 *
 * Linked into every executable of a build with -DBNN_SANITIZE (CMakeLists.txt), so that the
 * tools behave the same in lit, in ctest, in build-time commands and when run by hand. The
 * ASAN_OPTIONS / UBSAN_OPTIONS environment variables still override single options.
 *
 * allow_user_poisoning=0: LLVM's BumpPtrAllocator poisons its slabs by hand when compiled with
 * AddressSanitizer; its inline copies in bnn's instrumented code and in Debian's uninstrumented
 * MLIR libraries disagree about what is poisoned (false use-after-poison reports in
 * mlir::Dialect::addType). ASan's own redzones around every heap block stay on.
 * abort_on_error=1: a report aborts, so `not tool ...` in a lit test does not mistake it for the
 * expected error exit.
 *
 *===----------------------------------------------------------------------===*/

const char *__asan_default_options(void) {
  return "allow_user_poisoning=0:abort_on_error=1:detect_leaks=1";
}

const char *__ubsan_default_options(void) {
  return "print_stacktrace=1:halt_on_error=1:abort_on_error=1";
}
