#pragma once
/// A name → factory table. Built-ins are filled explicitly by register_builtin_variants()
/// (variants/registry.h); a user's project adds its own entries the same way.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"

namespace attnlab {

template <typename Factory>
class Registry {
 public:
  /// `kind` names the entries in errors: "mixer", "eviction policy".
  explicit Registry(std::string kind) : kind_(std::move(kind)) {}

  /// Registers `name`; registering a name twice is a programming error (std::logic_error).
  void add(const std::string& name, std::string description, Factory factory) {
    if (entries_.count(name)) throw std::logic_error(kind_ + " '" + name + "' registered twice");
    entries_.emplace(name, Entry{std::move(description), std::move(factory)});
  }

  bool contains(const std::string& name) const { return entries_.count(name) > 0; }

  /// The factory of `name`; UserError naming the closest match and every registered name otherwise.
  const Factory& get(const std::string& name) const { return entry(name).factory; }

  const std::string& description(const std::string& name) const { return entry(name).description; }

  /// Registered names, sorted.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& [name, entry] : entries_) out.push_back(name);
    return out;
  }

 private:
  struct Entry {
    std::string description;
    Factory factory;
  };

  const Entry& entry(const std::string& name) const {
    auto it = entries_.find(name);
    if (it == entries_.end()) {
      throw UserError("unknown " + kind_ + " '" + name + "'" + did_you_mean(name, names()) +
                      "; registered: " + join(names()));
    }
    return it->second;
  }

  std::string kind_;
  std::map<std::string, Entry> entries_;
};

}  // namespace attnlab
