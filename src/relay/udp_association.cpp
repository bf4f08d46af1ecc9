#include "relay/udp_association.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include <netinet/in.h>

namespace rustsocks::relay::detail {
namespace {

udp::endpoint to_endpoint(const sockaddr_storage& storage, socklen_t length) {
  udp::endpoint endpoint;
  const auto size = std::min<std::size_t>(length, endpoint.capacity());
  std::memcpy(endpoint.data(), &storage, size);
  endpoint.resize(size);
  return endpoint;
}

socks5::Target to_target(const udp::endpoint& endpoint) {
  const auto address = unmapped(endpoint.address());
  if (address.is_v4()) return {socks5::Ipv4{address.to_v4().to_bytes()}, endpoint.port()};
  return {socks5::Ipv6{address.to_v6().to_bytes()}, endpoint.port()};
}

}  // namespace

Batch& batch() {
  thread_local const std::unique_ptr<Batch> instance = std::make_unique<Batch>();
  return *instance;
}

// iovec and mmsghdr slots are addressed by offset into the batch buffer.
// NOLINTBEGIN(cppcoreguidelines-pro-bounds-pointer-arithmetic)
int Association::receive(udp::socket& socket, Batch& b) {
  for (std::size_t i = 0; i < kBatch; ++i) {
    b.in_iov[i] = iovec{b.bytes.data() + i * kSlot + kHeadroom, kSlot - kHeadroom};
    b.in[i].msg_hdr = msghdr{};
    b.in[i].msg_hdr.msg_name = &b.from[i];
    b.in[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    b.in[i].msg_hdr.msg_iov = &b.in_iov[i];
    b.in[i].msg_hdr.msg_iovlen = 1;
  }
  int count = -1;
  do {
    count = ::recvmmsg(socket.native_handle(), b.in.data(), kBatch, MSG_DONTWAIT, nullptr);
  } while (count < 0 && errno == EINTR);
  return count;
}

void Association::handle(Batch& b, int count, bool main) {
  const auto now = Clock::now();
  for (std::size_t i = 0; i < static_cast<std::size_t>(count); ++i) {
    auto* data = b.bytes.data() + i * kSlot + kHeadroom;
    const std::size_t size = b.in[i].msg_len;
    const auto from = to_endpoint(b.from[i], b.in[i].msg_hdr.msg_namelen);
    if (main && client_.accepts(from)) {
      from_client(data, size, from, now, b);
    } else if (is_target(from)) {
      from_target(data, size, from, now, b);
    } else {
      drop(Drop::Foreign);
    }
  }
}

void Association::from_client(std::uint8_t* data, std::size_t size, const udp::endpoint& from,
                              Clock::time_point now, Batch& b) {
  auto parsed = socks5::parse_udp_header({data, size});
  const auto* done = std::get_if<socks5::Complete<socks5::UdpHeader>>(&parsed);
  if (done == nullptr) return drop(Drop::Malformed);
  if (done->message.frag != 0) return drop(Drop::Fragment);
  client_.learn(from.port());
  const auto* payload = data + done->consumed;
  const std::size_t length = size - done->consumed;
  if (length > options_.max_datagram) return drop(Drop::TooLarge);
  if (!rate_.take(now)) return drop(Drop::Rate);
  const auto& target = done->message.target;
  if (const auto* v4 = std::get_if<socks5::Ipv4>(&target.address)) {
    return send_up({asio::ip::address_v4(v4->bytes), target.port}, payload, length, &b);
  }
  if (const auto* v6 = std::get_if<socks5::Ipv6>(&target.address)) {
    return send_up({unmapped(asio::ip::address_v6(v6->bytes)), target.port}, payload, length, &b);
  }
  std::string name = std::get<socks5::Domain>(target.address).name;
  error_code not_literal;
  auto literal = asio::ip::make_address(name, not_literal);
  if (!not_literal) return send_up({unmapped(literal), target.port}, payload, length, &b);
  if (!name.empty() && name.back() == '.') name.pop_back();
  if (const auto* known = find_name(name, now)) {
    if (!known->address) return drop(Drop::Dns);
    return send_up({*known->address, target.port}, payload, length, &b, name);
  }
  if (pending_.size() >= kMaxPending) return drop(Drop::Dns);
  pending_.push_back(Pending{std::move(name), target.port, {payload, payload + length}});
}

void Association::from_target(std::uint8_t* data, std::size_t size, const udp::endpoint& from,
                              Clock::time_point now, Batch& b) {
  if (size > options_.max_datagram) return drop(Drop::TooLarge);
  if (!rate_.take(now)) return drop(Drop::Rate);
  const auto target = to_target(from);
  const auto header = socks5::udp_header_size(target);
  auto* start = data - header;  // the headroom in front of every slot
  socks5::encode_udp_header(target, {start, header});
  ++traffic_.datagrams_down;
  traffic_.bytes_down += size;
  queue(b, client_.endpoint(), start, header + size, size, false);
}

// NOLINTEND(cppcoreguidelines-pro-bounds-pointer-arithmetic)

void Association::send_up(const udp::endpoint& to, const std::uint8_t* data, std::size_t size,
                          Batch* b, std::string_view name) {
  if (options_.check != nullptr &&
      !(*options_.check)(to.address(), to.port(), socks5::Command::UdpAssociate, name)) {
    return drop(Drop::Blocked);
  }
  remember(to);
  ++traffic_.datagrams_up;
  traffic_.bytes_up += size;
  const bool same_family = to.address().is_v6() == main_v6_;
  if (same_family && b != nullptr) return queue(*b, to, data, size, size, true);
  if (!same_family && !open_other(to.address().is_v6())) {
    --traffic_.datagrams_up;
    traffic_.bytes_up -= size;
    return drop(Drop::Send);
  }
  error_code ec;
  (same_family ? socket_ : other_).send_to(asio::buffer(data, size), to, 0, ec);
  if (ec) {
    --traffic_.datagrams_up;
    traffic_.bytes_up -= size;
    drop(Drop::Send);
  }
}

void Association::queue(Batch& b, const udp::endpoint& to, const std::uint8_t* data,
                        std::size_t size, std::size_t payload, bool up) {
  if (b.out_count == kBatch) flush(b);
  const auto i = b.out_count++;
  std::memcpy(&b.to[i], to.data(), to.size());
  // sendmmsg takes a non-const iovec but never writes through it.
  b.out_iov[i] = iovec{const_cast<std::uint8_t*>(data), size};  // NOLINT(*-const-cast)
  b.out[i].msg_hdr = msghdr{};
  b.out[i].msg_hdr.msg_name = &b.to[i];
  b.out[i].msg_hdr.msg_namelen = static_cast<socklen_t>(to.size());
  b.out[i].msg_hdr.msg_iov = &b.out_iov[i];
  b.out[i].msg_hdr.msg_iovlen = 1;
  b.out_up[i] = up;
  b.out_payload[i] = payload;
}

// Everything queued leaves through the main socket (the client's family). A datagram the kernel
// refuses is dropped and counted; the rest still go.
void Association::flush(Batch& b) {
  std::size_t sent = 0;
  while (sent < b.out_count) {
    const int n = ::sendmmsg(socket_.native_handle(), &b.out[sent],
                             static_cast<unsigned>(b.out_count - sent), MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (b.out_up[sent]) {
      --traffic_.datagrams_up;
      traffic_.bytes_up -= b.out_payload[sent];
    } else {
      --traffic_.datagrams_down;
      traffic_.bytes_down -= b.out_payload[sent];
    }
    drop(Drop::Send);
    ++sent;
  }
  b.out_count = 0;
}

bool Association::open_other(bool v6) {
  if (other_.is_open()) return true;
  error_code ec;
  other_.open(v6 ? udp::v6() : udp::v4(), ec);
  if (!ec) other_.bind({v6 ? udp::v6() : udp::v4(), 0}, ec);
  if (!ec) other_.non_blocking(true, ec);
  if (ec) {
    error_code ignored;
    other_.close(ignored);
    return false;
  }
  other_opened_.cancel();
  return true;
}

// Datagrams to names not in the cache wait here while the names resolve on the resolver's pool;
// then they are sent one by one (the batch buffers may have been used meanwhile).
awaitable<void> Association::resolve_pending() {
  auto waiting = std::move(pending_);
  pending_.clear();
  for (auto& datagram : waiting) {
    const Name* known = find_name(datagram.name, Clock::now());
    if (known == nullptr) {
      auto resolved =
          co_await resolver_.resolve(datagram.name, datagram.port, options_.dns_timeout);
      store_name(datagram.name, resolved);
      known = &names_.back();
    }
    if (!known->address) {
      drop(Drop::Dns);
      continue;
    }
    send_up({*known->address, datagram.port}, datagram.payload.data(), datagram.payload.size(),
            nullptr, datagram.name);
  }
}

const Association::Name* Association::find_name(const std::string& name,
                                                Clock::time_point now) const {
  for (const auto& entry : names_) {
    if (entry.name == name && entry.expires > now) return &entry;
  }
  return nullptr;
}

// Keeps the first address of the client's family, else the first of the other family.
void Association::store_name(const std::string& name, const connect::Resolved& resolved) {
  std::optional<asio::ip::address> chosen;
  for (const auto& endpoint : resolved.endpoints) {
    const auto address = unmapped(endpoint.address());
    if (address.is_v6() == main_v6_) {
      chosen = address;
      break;
    }
    if (!chosen) chosen = address;
  }
  const auto now = Clock::now();
  std::erase_if(names_,
                [&](const Name& entry) { return entry.name == name || entry.expires <= now; });
  if (names_.size() >= kMaxNames) names_.erase(names_.begin());
  names_.push_back(Name{name, chosen, now + (chosen ? kNameTtl : kFailedNameTtl)});
}

bool Association::is_target(const udp::endpoint& from) const {
  // Newest first: the target just sent to is the likeliest to answer.
  return std::find(targets_.rbegin(), targets_.rend(), from) != targets_.rend();
}

void Association::remember(const udp::endpoint& to) {
  if (!targets_.empty() && targets_.back() == to) return;
  auto found = std::find(targets_.begin(), targets_.end(), to);
  if (found != targets_.end()) {
    std::rotate(found, found + 1, targets_.end());  // most recent last
    return;
  }
  if (targets_.size() >= kMaxTargets) targets_.erase(targets_.begin());
  targets_.push_back(to);
}

}  // namespace rustsocks::relay::detail
