// Test helper: writes config files under the test's temporary directory.
#pragma once

#include <stdlib.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace lattice::options::testing {

// Each call makes a fresh directory, so tests never see each other's files.
class TempConfigDir {
 public:
  TempConfigDir() {
    const char* base = std::getenv("TEST_TMPDIR");
    std::string pattern = absl::StrCat(base != nullptr ? base : "/tmp", "/optsXXXXXX");
    if (mkdtemp(pattern.data()) != nullptr)
      dir_ = pattern;
  }

  std::string Write(absl::string_view name, absl::string_view contents) const {
    const std::string path = absl::StrCat(dir_, "/", name);
    std::ofstream(path) << contents;
    return path;
  }

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace lattice::options::testing
