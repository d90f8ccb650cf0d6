#include "metrics_http.h"

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <optional>
#include <sstream>
#include <unordered_set>

#include "logging.h"
#include "settings.h"

namespace rpinetboot::tftpd {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

// The open connections, shared with them: stop() closes every one, so that the loop (and the
// daemon) can end without waiting for their timeouts.
struct MetricsHttp::Registry {
    std::unordered_set<Connection*> open;
};

class MetricsHttp::Connection : public std::enable_shared_from_this<Connection> {
  public:
    Connection(tcp::socket socket, MetricsHttp& owner, std::shared_ptr<Registry> registry)
        : stream_(std::move(socket)),
          owner_(owner),
          registry_(std::move(registry)),
          buffer_(kMaxHeaderBytes) {
        registry_->open.insert(this);
    }
    ~Connection() { registry_->open.erase(this); }

    void readRequest() {
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(kMaxHeaderBytes));
        stream_.expires_after(kIoTimeout);
        // The header only: a request with a body is answered (404/405/400) and closed unread.
        http::async_read_header(
            stream_, buffer_, *parser_,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onRead(ec); });
    }

    void close() {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream_.close();
    }

  private:
    void onRead(beast::error_code ec) {
        if (ec == http::error::header_limit) {
            reply(http::status::request_header_fields_too_large, 11, "header too large\n", false);
            return;
        }
        if (ec && ec.category() == http::make_error_code(http::error::bad_method).category() &&
            ec != http::error::end_of_stream && ec != http::error::partial_message) {
            // Not HTTP: told, then closed.
            reply(http::status::bad_request, 11, "bad request\n", false);
            return;
        }
        if (ec) {
            // The client went away, or was too slow (the stream's timeout closed it).
            if (ec != http::error::end_of_stream) {
                LOG4CPLUS_DEBUG(logger(), "metrics connection closed: " << ec.message());
            }
            close();
            return;
        }
        const auto& req = parser_->get();
        // A body is never read: the connection cannot be reused after it.
        const bool hasBody = !parser_->is_done();
        const bool keep = req.keep_alive() && !hasBody;
        const auto target = req.target();
        const bool metrics =
            target == "/metrics" || (target.size() > 9 && target.substr(0, 9) == "/metrics?");
        if (!metrics) {
            reply(http::status::not_found, req.version(), "not found: try /metrics\n", keep);
        } else if (req.method() != http::verb::get) {
            reply(http::status::method_not_allowed, req.version(), "only GET\n", keep);
        } else if (hasBody) {
            reply(http::status::bad_request, req.version(), "GET with a body\n", false);
        } else {
            reply(http::status::ok, req.version(), owner_.render_(), keep);
        }
    }

    void reply(http::status status, unsigned version, std::string body, bool keep) {
        res_ = {status, version};
        res_.set(http::field::server, "rpi-tftpd");
        if (status == http::status::ok) {
            res_.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
        } else {
            res_.set(http::field::content_type, "text/plain; charset=utf-8");
        }
        if (status == http::status::method_not_allowed) res_.set(http::field::allow, "GET");
        res_.keep_alive(keep);
        res_.body() = std::move(body);
        res_.prepare_payload();
        stream_.expires_after(kIoTimeout);
        http::async_write(stream_, res_,
                          [self = shared_from_this(), keep](beast::error_code ec, std::size_t) {
                              if (!ec && keep) {
                                  self->readRequest();
                              } else {
                                  self->close();
                              }
                          });
    }

    beast::tcp_stream stream_;
    MetricsHttp& owner_;
    std::shared_ptr<Registry> registry_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::empty_body>> parser_;
    http::response<http::string_body> res_;
};

MetricsHttp::MetricsHttp(asio::io_context& io, Render render)
    : render_(std::move(render)),
      acceptor_(io),
      retry_(io),
      registry_(std::make_shared<Registry>()) {}

MetricsHttp::~MetricsHttp() = default;

bool MetricsHttp::open(const std::string& spec, std::string& error) {
    auto hp = splitListen(spec);
    if (!hp) {
        error = "bad --metrics-listen value: " + spec;
        return false;
    }
    const tcp::endpoint ep(asio::ip::make_address(hp->first), hp->second);
    boost::system::error_code ec;
    acceptor_.open(ep.protocol(), ec);
    // Restarting while old connections linger in TIME_WAIT must work; a port another socket
    // listens on still fails.
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(16, ec);
    if (ec) {
        std::ostringstream msg;
        msg << "cannot listen for metrics on " << ep << " (--metrics-listen): " << ec.message();
        error = msg.str();
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        return false;
    }
    LOG4CPLUS_INFO(logger(), "metrics on http://" << spec << "/metrics");
    return true;
}

void MetricsHttp::start() {
    if (acceptor_.is_open()) accept();
}

void MetricsHttp::accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
        if (stopping_) return;
        if (ec) {
            // Out of descriptors, most likely: try again shortly rather than spin.
            LOG4CPLUS_WARN(logger(), "metrics: accept failed: " << ec.message());
            retry_.expires_after(std::chrono::milliseconds(200));
            retry_.async_wait([this](boost::system::error_code wec) {
                if (!wec && !stopping_) accept();
            });
            return;
        }
        if (registry_->open.size() >= kMaxConnections) {
            LOG4CPLUS_DEBUG(
                logger(), "metrics: " << kMaxConnections << " connections open, closing a new one");
            boost::system::error_code ignored;
            socket.close(ignored);
        } else {
            std::make_shared<Connection>(std::move(socket), *this, registry_)->readRequest();
        }
        accept();
    });
}

void MetricsHttp::stop() {
    stopping_ = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    retry_.cancel();
    // Closing cancels their reads and writes; their handlers then drop the last references.
    auto open = registry_->open;
    for (auto* c : open) c->close();
}

}  // namespace rpinetboot::tftpd
