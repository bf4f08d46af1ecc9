// Private to acl/: the field parsers of one rule (ports, destinations, protocols) and message
// helpers, shared by load_acl() and its tests.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "acl/rules.hpp"

namespace rustsocks::acl {

// The text in double quotes, control bytes replaced, cut after 64 bytes.
std::string quote(std::string_view text);
std::string lower(std::string_view text);
// "*", "443", "8000-9000", "80,443,8080" (pieces may be ranges). false on a malformed entry;
// `inverted` is set when a range's start is above its end (it matches nothing, as in RustSocks).
bool parse_ports(std::string_view text, std::vector<PortRange>& out, bool& inverted);
// Adds one destination ("*", an address, a CIDR, a domain, a wildcard domain) to the rule;
// false when it is none of these.
bool add_destination(std::string_view text, Rule& rule);
// "tcp", "udp", "both", "*", "connect", "bind" (any case).
bool add_protocol(std::string_view text, Rule& rule);

}  // namespace rustsocks::acl
