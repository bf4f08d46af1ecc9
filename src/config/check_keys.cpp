// First pass over the parsed tree: every key must be known and of the right type. Unknown keys
// get a near-miss suggestion; RustSocks keys this build lacks get one warning each, or an error
// for the security switches (fail closed). Values of implemented keys are read_settings()' job.
#include <set>
#include <string>

#include "config/key_spec.hpp"

namespace rustsocks::config {
namespace {

// Where a table sits: its schema path (no indices), its shown path, and its label for messages.
struct Place {
  std::string spec;   // "auth.users"
  std::string shown;  // "auth.users[2]"
  std::string label;  // "[[auth.users]]", "[server]", or "" for the top level
};

std::string join(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return std::string(parent) + "." + std::string(key);
}

// Element type of an array that is not `wanted`, or none when every element is.
toml::node_type odd_element(const toml::array& array, toml::node_type wanted) {
  for (const toml::node& element : array) {
    if (element.type() != wanted) return element.type();
  }
  return toml::node_type::none;
}

bool has_type(const toml::node& node, ValueType type) {
  switch (type) {
    case ValueType::Table:
      return node.is_table();
    case ValueType::TableArray:
      return node.is_array() &&
             odd_element(*node.as_array(), toml::node_type::table) == toml::node_type::none;
    case ValueType::Bool:
      return node.is_boolean();
    case ValueType::Integer:
      return node.is_integer();
    case ValueType::Number:
      return node.is_number();
    case ValueType::String:
      return node.is_string();
    case ValueType::StringArray:
      return node.is_array() &&
             odd_element(*node.as_array(), toml::node_type::string) == toml::node_type::none;
  }
  return false;
}

std::string_view expected(ValueType type) {
  switch (type) {
    case ValueType::Table:
      return "a table";
    case ValueType::TableArray:
      return "an array of tables";
    case ValueType::Bool:
      return "a boolean";
    case ValueType::Integer:
      return "an integer";
    case ValueType::Number:
      return "a number";
    case ValueType::String:
      return "a string";
    case ValueType::StringArray:
      return "an array of strings";
  }
  return "something else";
}

std::string actual(const toml::node& node, ValueType type) {
  const toml::array* array = node.as_array();
  const bool wants_array = type == ValueType::StringArray || type == ValueType::TableArray;
  if (array == nullptr || !wants_array) return std::string(type_name(node.type()));
  const auto wanted =
      type == ValueType::StringArray ? toml::node_type::string : toml::node_type::table;
  const auto odd = odd_element(*array, wanted);
  if (odd == toml::node_type::none) return "array";
  const std::string_view name = type_name(odd);
  const bool vowel = std::string_view("aeiou").find(name.front()) != std::string_view::npos;
  return std::string(vowel ? "an array holding an " : "an array holding a ") + std::string(name);
}

class KeyChecker {
 public:
  explicit KeyChecker(Diagnostics& out) : out_(out) {}
  void check_table(const toml::table& table, const Place& place);

 private:
  void check_entry(const toml::key& key, const toml::node& node, const Place& place);
  void report(const KeySpec& spec, const toml::key& key, const toml::node& node,
              const std::string& label);
  void warn_once(const KeySpec& spec, const toml::key& key, std::string_view text);
  void descend(const KeySpec& spec, const toml::node& node, const std::string& shown);

  Diagnostics& out_;
  std::set<std::string_view> warned_;  // spec paths; an array of tables warns once, not per entry
};

void KeyChecker::check_table(const toml::table& table, const Place& place) {
  for (auto&& [key, node] : table) {
    check_entry(key, node, place);
  }
}

void KeyChecker::check_entry(const toml::key& key, const toml::node& node, const Place& place) {
  const std::string spec_path = join(place.spec, key.str());
  const std::string shown = join(place.shown, key.str());
  const std::string label = key_label(shown, place.label);
  // A quoted key holding a dot ("server.bind_port" = 1) is not the nested key it spells.
  const bool plain = key.str().find('.') == std::string_view::npos;
  const KeySpec* spec = plain ? find_key_spec(spec_path) : nullptr;
  if (spec == nullptr) {
    std::string text = "unknown key " + label;
    if (const std::string hint = suggest_key(place.spec, key.str()); !hint.empty()) {
      text += "; " + hint;
    }
    out_.error(key.source(), text);
    return;
  }
  if (!has_type(node, spec->type)) {
    out_.error(node.source(), label + " must be " + std::string(expected(spec->type)) + ", got " +
                                  actual(node, spec->type));
    return;
  }
  report(*spec, key, node, label);
  if (spec->handling != Handling::Unchecked) descend(*spec, node, shown);
}

void KeyChecker::report(const KeySpec& spec, const toml::key& key, const toml::node& node,
                        const std::string& label) {
  const bool on = node.value_or(false);
  switch (spec.handling) {
    case Handling::Read:
    case Handling::Quiet:
      return;
    case Handling::Warn:
    case Handling::Unchecked:
      warn_once(spec, key, label + " " + std::string(spec.note));
      return;
    case Handling::FailIfTrue:
      if (on) {
        out_.error(node.source(), label + " " + std::string(spec.on_note));
      } else {
        warn_once(spec, key, label + " " + std::string(spec.note));
      }
      return;
    case Handling::LoudIfTrue:
      warn_once(spec, key, label + " " + std::string(on ? spec.on_note : spec.note));
      return;
  }
}

void KeyChecker::warn_once(const KeySpec& spec, const toml::key& key, std::string_view text) {
  if (warned_.insert(spec.path).second) out_.warning(key.source(), text);
}

void KeyChecker::descend(const KeySpec& spec, const toml::node& node, const std::string& shown) {
  if (const toml::table* table = node.as_table()) {
    check_table(*table, {std::string(spec.path), shown, "[" + shown + "]"});
    return;
  }
  const toml::array* array = node.as_array();
  if (array == nullptr || spec.type != ValueType::TableArray) return;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const std::string element = shown + "[" + std::to_string(i) + "]";
    check_table(*(*array)[i].as_table(), {std::string(spec.path), element, "[[" + shown + "]]"});
  }
}

}  // namespace

void check_keys(const toml::table& root, Diagnostics& out) {
  KeyChecker checker(out);
  checker.check_table(root, Place{});
}

}  // namespace rustsocks::config
