// Replays every file of a fuzz corpus folder through LLVMFuzzerTestOneInput, so the corpus runs
// as an ordinary ctest without libFuzzer (gcc builds). Exit 1 when the folder is missing or empty.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 1;
  }
  std::size_t replayed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(argv[1], ec)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    ++replayed;
  }
  if (ec || replayed == 0) {
    std::fprintf(stderr, "no corpus files replayed from %s\n", argv[1]);
    return 1;
  }
  std::printf("replayed %zu corpus files from %s\n", replayed, argv[1]);
  return 0;
}
