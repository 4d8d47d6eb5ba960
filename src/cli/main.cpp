// soma command-line entry point (dispatch only; every verb lives in its own file).
#include <cstdio>

int main() {
  std::puts("soma: command line under construction");
  return 0;
}
