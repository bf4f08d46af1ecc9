// The one Beast TU: reads requests into api::Request, lets the Router answer, writes the
// api::Response. Connections share a State through shared_ptr so a frame destroyed with the
// io_context never touches a destroyed Server.
#include "api/server.hpp"

#include <set>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "core/log.hpp"

namespace rustsocks::api {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
constexpr auto kLogInterval = std::chrono::seconds(10);
constexpr auto kDrainTime = std::chrono::milliseconds(500);

// Written, without waiting, to a connection over max_connections.
const std::string& busy_response() {
  static const std::string text = [] {
    const std::string body = R"({"error":"too_many_requests","message":"too many API connections"})"
                             "\n";
    return "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n"
           "Connection: close\r\nRetry-After: 1\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  }();
  return text;
}

}  // namespace

struct ServerState {
  ServerState(asio::io_context& io, Router& r, Server::Options o)
      : acceptor(io), router(r), options(o) {}
  tcp::acceptor acceptor;
  Router& router;
  Server::Options options;
  std::set<beast::tcp_stream*> live;
  bool stopped = false;
  std::chrono::steady_clock::time_point last_busy_log{};
  std::uint64_t busy_since_log = 0;
};

namespace {

using StatePtr = std::shared_ptr<ServerState>;

struct Registration {  // a connection is in `live` exactly as long as its frame exists
  StatePtr state;
  beast::tcp_stream* stream;
  Registration(StatePtr s, beast::tcp_stream* t) : state(std::move(s)), stream(t) {
    state->live.insert(stream);
  }
  ~Registration() { state->live.erase(stream); }
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;
  Registration(Registration&&) = delete;
  Registration& operator=(Registration&&) = delete;
};

Response error_for(const error_code& ec) {
  if (ec == http::error::body_limit) {
    return error_response(413, "payload_too_large", "the request body is over 64 KiB");
  }
  if (ec == http::error::header_limit) {
    return error_response(431, "header_too_large", "the request header is over 8 KiB");
  }
  return error_response(400, "bad_request", "malformed HTTP request");
}

// The client went away, was too slow, or the server closed it: nothing to answer.
bool ended(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == beast::error::timeout || ec == asio::error::operation_aborted ||
         ec == asio::error::connection_reset;
}

Request to_request(const http::request<http::string_body>& in, const std::string& peer) {
  Request out;
  out.method = method_from(std::string_view(in.method_string().data(), in.method_string().size()));
  out.target = std::string(in.target());
  out.authorization = std::string(in[http::field::authorization]);
  out.body = in.body();
  out.peer = peer;
  out.received = std::chrono::steady_clock::now();
  return out;
}

http::response<http::string_body> to_message(Response response, unsigned version, bool keep,
                                             bool head) {
  http::response<http::string_body> out{static_cast<http::status>(response.status), version};
  out.set(http::field::server, "rustsocks");
  out.set(http::field::content_type, response.content_type);
  out.set(http::field::cache_control, "no-store");
  for (auto& [name, value] : response.headers) {
    out.set(name, value);
  }
  out.body() = std::move(response.body);
  out.keep_alive(keep);
  out.prepare_payload();
  if (head) out.body().clear();  // Content-Length stays that of the GET answer
  return out;
}

// Lets the router answer on this executor, also when the answer comes later from elsewhere.
awaitable<Response> answer(Router& router, const Request& request) {
  auto executor = co_await asio::this_coro::executor;
  auto initiate = [&router, &request, executor](auto handler) {
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    router.dispatch(request, [shared, executor](Response response) {
      asio::post(executor, [shared, response = std::move(response)]() mutable {
        (*shared)(std::move(response));
      });
    });
  };
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(Response)>(
      initiate, asio::use_awaitable);
}

// Half-closes, then reads what the client still sends for a moment, so the close is not a reset
// that could destroy the response in flight.
awaitable<void> close_gently(beast::tcp_stream& stream) {
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.expires_after(kDrainTime);
  std::array<char, 4096> sink{};
  for (;;) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), kNoThrow);
    if (ec) break;
  }
  stream.socket().close(ignored);
}

awaitable<bool> write(beast::tcp_stream& stream, http::response<http::string_body>& message,
                      std::chrono::milliseconds limit) {
  stream.expires_after(limit);
  auto [ec, n] = co_await http::async_write(stream, message, kNoThrow);
  co_return !ec;
}

awaitable<void> serve(tcp::socket socket, StatePtr state) {
  error_code ec;
  const auto peer_endpoint = socket.remote_endpoint(ec);
  const std::string peer = ec ? std::string("-") : peer_endpoint.address().to_string();
  beast::tcp_stream stream(std::move(socket));
  Registration registration(state, &stream);
  beast::flat_buffer buffer;
  const auto limit = state->options.read_timeout;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(kBodyLimit);
    stream.expires_after(limit);
    auto [read_error, n] = co_await http::async_read(stream, buffer, parser, kNoThrow);
    if (state->stopped) co_return;
    if (ended(read_error)) {
      spdlog::debug("api: {} closed: {}", peer, read_error.message());
      break;
    }
    if (read_error) {
      auto message = to_message(error_for(read_error), 11, false, false);
      spdlog::debug("api: {} sent a bad request: {}", peer, read_error.message());
      if (co_await write(stream, message, limit)) co_await close_gently(stream);
      co_return;
    }
    const auto& in = parser.get();
    const bool keep = in.keep_alive();
    const bool head = in.method() == http::verb::head;
    auto request = to_request(in, peer);
    auto response = co_await answer(state->router, request);
    if (state->stopped) co_return;
    spdlog::debug("api: {} {} {} -> {}", peer, method_name(request.method),
                  core::printable(path_of(request.target)), response.status);
    auto message = to_message(std::move(response), in.version(), keep, head);
    if (!co_await write(stream, message, limit)) co_return;
    if (!keep) break;
  }
  co_await close_gently(stream);
}

void refuse_busy(ServerState& state, tcp::socket& socket) {
  error_code ignored;
  socket.non_blocking(true, ignored);
  (void)socket.write_some(asio::buffer(busy_response()), ignored);  // best effort, never waits
  socket.close(ignored);
  ++state.busy_since_log;
  const auto now = std::chrono::steady_clock::now();
  if (now - state.last_busy_log < kLogInterval) return;
  spdlog::warn("api: {} connection(s) refused: [api] max_connections ({}) reached",
               state.busy_since_log, state.options.max_connections);
  state.busy_since_log = 0;
  state.last_busy_log = now;
}

awaitable<void> accept_loop(StatePtr state) {
  while (state->acceptor.is_open()) {
    auto [ec, socket] = co_await state->acceptor.async_accept(kNoThrow);
    if (state->stopped || ec == asio::error::operation_aborted) break;
    if (ec) {
      // Out of descriptors: wait a little instead of spinning on the same error.
      asio::steady_timer backoff(state->acceptor.get_executor(), std::chrono::milliseconds(100));
      co_await backoff.async_wait(kNoThrow);
      continue;
    }
    if (state->live.size() >= state->options.max_connections) {
      refuse_busy(*state, socket);
      continue;
    }
    asio::co_spawn(state->acceptor.get_executor(), serve(std::move(socket), state),
                   [](const std::exception_ptr& error) {
                     if (!error) return;
                     try {
                       std::rethrow_exception(error);
                     } catch (const std::exception& e) {
                       spdlog::error("api: connection ended by an exception: {}", e.what());
                     }
                   });
  }
}

}  // namespace

BoundListener bind_api_listener(const tcp::endpoint& endpoint) {
  asio::io_context scratch(1);
  tcp::acceptor acceptor(scratch);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  if (endpoint.address().is_v6()) acceptor.set_option(asio::ip::v6_only(true));
  error_code ec;
  acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw boost::system::system_error(ec, "API: cannot listen on " +
                                              endpoint.address().to_string() + " port " +
                                              std::to_string(endpoint.port()));
  }
  auto bound = acceptor.local_endpoint();
  return BoundListener{core::UniqueFd(acceptor.release()), bound};
}

Server::Server(asio::io_context& io, BoundListener listener, Router& router, Options options)
    : state_(std::make_shared<ServerState>(io, router, options)), endpoint_(listener.endpoint) {
  state_->acceptor.assign(listener.endpoint.protocol(), listener.fd.get());
  (void)listener.fd.release();  // the acceptor owns it now
}

Server::~Server() {
  stop();
}

void Server::start() {
  asio::co_spawn(state_->acceptor.get_executor(), accept_loop(state_), asio::detached);
}

void Server::stop() {
  state_->stopped = true;
  error_code ignored;
  state_->acceptor.close(ignored);
  for (auto* stream : state_->live) {
    stream->socket().close(ignored);
  }
}

}  // namespace rustsocks::api
