// Plain-text tables for people: padded columns under an upper-case header.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace lattice::latticectl_admin {

// Value type. Thread: not shared.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void Print(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace lattice::latticectl_admin
