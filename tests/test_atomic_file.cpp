// Output files (runtime/formats/atomic_file): the whole text or nothing, and never a change of
// what the path is: symlinks are written through, devices and FIFOs written directly, folders
// refused; and output_path_problem, the check the CLI runs on every output before the run.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <thread>

#include "runtime/formats/atomic_file.hpp"
#include "tests/test_report_fixture.hpp"

using namespace gremlins;
using namespace gremlins::testing;
namespace fs = std::filesystem;

namespace {

/// The names in `dir`, sorted.
std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

mode_t lstat_mode(const fs::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st.st_mode;
}

ino_t inode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_ino;
}

/// Reads a FIFO to its end in a thread: open blocks until a writer comes.
struct fifo_reader {
  std::string got;
  std::thread t;
  explicit fifo_reader(const fs::path& p) : t([this, p] {
    int fd = ::open(p.c_str(), O_RDONLY);
    if (fd < 0) return;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) got.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
  }) {}
  std::string wait() {
    t.join();
    return got;
  }
};

}  // namespace

TEST_CASE("atomic file: a new file, then a replaced one keeping its mode, no temporary left",
          "[atomic_file]") {
  temp_dir d;
  auto p = d.path / "r.json";
  write_file_atomically(p.string(), "one\n", "results file");
  CHECK(read_file(p) == "one\n");
  fs::permissions(p, fs::perms(0640));
  auto before = inode_of(p);
  write_file_atomically(p.string(), "two\n", "results file");
  CHECK(read_file(p) == "two\n");
  CHECK(inode_of(p) != before);  // replaced by a rename, not rewritten in place
  CHECK((lstat_mode(p) & 07777) == 0640);
  CHECK(names_in(d.path) == std::vector<std::string>{"r.json"});
}

TEST_CASE("atomic file: a symlink is written through, the link stays a link", "[atomic_file]") {
  temp_dir d;
  fs::create_directories(d.path / "out");
  fs::create_directories(d.path / "real");
  write_file(d.path, "real/r.json", "old\n");
  fs::create_symlink("../real/r.json", d.path / "out" / "link.json");  // relative, other folder
  write_file_atomically((d.path / "out" / "link.json").string(), "new\n", "results file");
  CHECK(S_ISLNK(lstat_mode(d.path / "out" / "link.json")));
  CHECK(fs::read_symlink(d.path / "out" / "link.json") == "../real/r.json");
  CHECK(read_file(d.path / "real" / "r.json") == "new\n");
  CHECK(names_in(d.path / "out") == std::vector<std::string>{"link.json"});
  CHECK(names_in(d.path / "real") == std::vector<std::string>{"r.json"});

  // A chain of links ends at the same file.
  fs::create_symlink(d.path / "out" / "link.json", d.path / "chain.json");
  write_file_atomically((d.path / "chain.json").string(), "newer\n", "results file");
  CHECK(S_ISLNK(lstat_mode(d.path / "chain.json")));
  CHECK(S_ISLNK(lstat_mode(d.path / "out" / "link.json")));
  CHECK(read_file(d.path / "real" / "r.json") == "newer\n");

  // A dangling link: its target is created, the link is kept.
  fs::create_symlink("made.json", d.path / "dangling.json");
  write_file_atomically((d.path / "dangling.json").string(), "made\n", "results file");
  CHECK(S_ISLNK(lstat_mode(d.path / "dangling.json")));
  CHECK(read_file(d.path / "made.json") == "made\n");
}

TEST_CASE("atomic file: a FIFO is written directly and stays a FIFO", "[atomic_file]") {
  temp_dir d;
  auto fifo = d.path / "pipe";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  fifo_reader reader(fifo);
  std::string text(200000, 'x');  // more than a pipe holds: written while it is read
  write_file_atomically(fifo.string(), text, "results file");
  CHECK(reader.wait() == text);
  CHECK(S_ISFIFO(lstat_mode(fifo)));
  CHECK(names_in(d.path) == std::vector<std::string>{"pipe"});
}

TEST_CASE("atomic file: a character device is written directly and stays one", "[atomic_file]") {
  write_file_atomically("/dev/null", "nothing\n", "results file");
  CHECK(S_ISCHR(lstat_mode("/dev/null")));
  CHECK_FALSE(fs::exists("/dev/null.tmp." + std::to_string(::getpid())));
}

TEST_CASE("atomic file: a link to /proc/self/fd/N (as /dev/stdout is) writes to that open file",
          "[atomic_file]") {
  temp_dir d;
  SECTION("a pipe") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    auto link = d.path / "stdout";
    fs::create_symlink("/proc/self/fd/" + std::to_string(fds[1]), link);
    write_file_atomically(link.string(), "through the pipe\n", "results file");
    ::close(fds[1]);
    char buf[100];
    auto n = ::read(fds[0], buf, sizeof buf);
    ::close(fds[0]);
    CHECK(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0) == "through the pipe\n");
    CHECK(S_ISLNK(lstat_mode(link)));
  }
  SECTION("a redirected regular file: appended to, not replaced") {
    auto file = d.path / "console.txt";
    write_file(d.path, "console.txt", "console report\n");
    int fd = ::open(file.c_str(), O_WRONLY | O_APPEND);
    REQUIRE(fd >= 0);
    auto inode = inode_of(file);
    write_file_atomically("/proc/self/fd/" + std::to_string(fd), "{\"json\": 1}\n", "results file");
    write_file_atomically("/dev/fd/" + std::to_string(fd), "{\"json\": 2}\n", "results file");
    ::close(fd);
    CHECK(inode_of(file) == inode);
    CHECK(read_file(file) == "console report\n{\"json\": 1}\n{\"json\": 2}\n");
    CHECK(names_in(d.path) == std::vector<std::string>{"console.txt"});
  }
}

TEST_CASE("atomic file: a folder is refused and left alone", "[atomic_file]") {
  temp_dir d;
  fs::create_directories(d.path / "reports");
  write_file(d.path, "reports/keep.txt", "keep");
  CHECK_THROWS_WITH(write_file_atomically((d.path / "reports").string(), "x", "results file"),
                    Catch::Contains("results file") && Catch::Contains("reports") &&
                        Catch::Contains("folder"));
  CHECK(fs::is_directory(d.path / "reports"));
  CHECK(read_file(d.path / "reports" / "keep.txt") == "keep");
  CHECK(names_in(d.path) == std::vector<std::string>{"reports"});
  CHECK_THROWS_WITH(write_file_atomically((d.path / "missing" / "r.json").string(), "x", "results file"),
                    Catch::Contains("missing"));
}

TEST_CASE("atomic file: a FIFO whose reader leaves is an error, not a SIGPIPE", "[atomic_file]") {
  temp_dir d;
  auto fifo = d.path / "pipe";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::thread reader([&] {
    int fd = ::open(fifo.c_str(), O_RDONLY);
    char c;
    if (fd >= 0) {
      (void)::read(fd, &c, 1);
      ::close(fd);
    }
  });
  std::string text(1 << 22, 'y');  // far more than the pipe holds once the reader is gone
  CHECK_THROWS_WITH(write_file_atomically(fifo.string(), text, "results file"),
                    Catch::Contains("results file") && Catch::Contains("pipe"));
  reader.join();
  sigset_t pending;
  sigpending(&pending);
  CHECK_FALSE(sigismember(&pending, SIGPIPE));
}

TEST_CASE("output_path_problem: fine paths", "[atomic_file]") {
  temp_dir d;
  CHECK_FALSE(output_path_problem((d.path / "new.json").string()));
  write_file(d.path, "old.json", "{}");
  CHECK_FALSE(output_path_problem((d.path / "old.json").string(), {(d.path / "m.json").string()}));
  CHECK_FALSE(output_path_problem("/dev/null", {"/dev/null"}));  // a device clobbers nothing
  fs::create_symlink("target.json", d.path / "link.json");
  CHECK_FALSE(output_path_problem((d.path / "link.json").string()));
}

TEST_CASE("output_path_problem: folders, missing folders, unwritable folders", "[atomic_file]") {
  temp_dir d;
  auto dir = d.path.string();
  auto folder = output_path_problem(dir);
  REQUIRE(folder);
  CHECK_THAT(*folder, Catch::Contains(dir) && Catch::Contains("is a folder"));
  auto missing = output_path_problem(dir + "/nope/r.json");
  REQUIRE(missing);
  CHECK_THAT(*missing, Catch::Contains(dir + "/nope") && Catch::Contains("does not exist"));
  write_file(d.path, "file", "x");
  auto under_file = output_path_problem(dir + "/file/r.json");
  REQUIRE(under_file);
  CHECK_THAT(*under_file, Catch::Contains(dir + "/file/r.json"));
  // A dangling link names the folder of its target.
  fs::create_symlink(d.path / "gone" / "r.json", d.path / "link.json");
  auto dangling = output_path_problem(dir + "/link.json");
  REQUIRE(dangling);
  CHECK_THAT(*dangling, Catch::Contains(dir + "/gone") && Catch::Contains("does not exist"));
  if (::geteuid() != 0) {  // root writes anywhere
    fs::create_directories(d.path / "ro");
    fs::permissions(d.path / "ro", fs::perms(0555));
    auto ro = output_path_problem(dir + "/ro/r.json");
    fs::permissions(d.path / "ro", fs::perms(0755));
    REQUIRE(ro);
    CHECK_THAT(*ro, Catch::Contains("not writable"));
  }
}

TEST_CASE("output_path_problem: the same file as an input, by any name", "[atomic_file]") {
  temp_dir d;
  write_file(d.path, "m.json", "{\"gremlins\": []}");
  auto m = (d.path / "m.json").string();
  std::vector<std::string> inputs = {"", m};
  auto same = output_path_problem(m, inputs);
  REQUIRE(same);
  CHECK_THAT(*same, Catch::Contains("same file") && Catch::Contains(m));
  fs::create_symlink(m, d.path / "link.json");
  CHECK(output_path_problem((d.path / "link.json").string(), inputs));
  fs::create_hard_link(m, d.path / "hard.json");
  CHECK(output_path_problem((d.path / "hard.json").string(), inputs));
  CHECK(output_path_problem((d.path / "." / "m.json").string(), inputs));
  // Two outputs that do not exist yet, spelled differently.
  auto a = (d.path / "r.json").string();
  auto b = (d.path / "sub" / ".." / "r.json").string();
  fs::create_directories(d.path / "sub");
  CHECK(output_path_problem(a, {b}));
  CHECK_FALSE(output_path_problem(a, {(d.path / "other.json").string()}));
}
