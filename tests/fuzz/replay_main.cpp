// Corpus replay driver for libFuzzer targets, used when the targets are built
// without -fsanitize=fuzzer (the normal build and CI). It feeds every file
// named on the command line (directories are walked) to
// LLVMFuzzerTestOneInput once, so CI exercises each target's corpus and any
// crash reproducer committed next to it. Long fuzzing runs use the clang
// build (-Dfuzz=true) outside CI.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

size_t run_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<uint8_t> buf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(buf.data(), buf.size());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = 0;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path p(argv[i]);
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(p))
        if (e.is_regular_file()) n += run_file(e.path());
    } else if (std::filesystem::is_regular_file(p)) {
      n += run_file(p);
    } else {
      std::fprintf(stderr, "replay: no such corpus: %s\n", argv[i]);
      return 2;
    }
  }
  if (n == 0) {
    std::fprintf(stderr, "replay: corpus is empty\n");
    return 2;
  }
  std::printf("replayed %zu inputs\n", n);
  return 0;
}
