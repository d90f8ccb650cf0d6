#include "ganesha_clients_watch.h"

#include <cerrno>
#include <cstring>
#include <memory>
#include <ostream>

#include "nfsd_clients_watch.h"

namespace rpinetboot::nfs {
namespace {

// nfs-ganesha's bus name (src/dbus/dbus_server.c; without the optional Dbus_Name_Prefix of
// NFS_CORE_PARAM), object and interface (src/support/client_mgr.c).
constexpr const char* kService = "org.ganesha.nfsd";
constexpr const char* kObject = "/org/ganesha/nfsd/ClientMgr";
constexpr const char* kInterface = "org.ganesha.nfsd.clientmgr";

struct MessageUnref {
    void operator()(sd_bus_message* m) const { sd_bus_message_unref(m); }
};
using Message = std::unique_ptr<sd_bus_message, MessageUnref>;

std::string errnoText(int r) {
    return std::strerror(r < 0 ? -r : r);
}

// The type and contents of the next element, or 0 at the end of the container.
int peek(sd_bus_message* m, char& type, const char*& contents) {
    contents = nullptr;
    return sd_bus_message_peek_type(m, &type, &contents);
}

// Reads a string of at most kMaxGaneshaText bytes.
int readText(sd_bus_message* m, std::string& out, std::string& error, const char* what) {
    const char* s = nullptr;
    const int r = sd_bus_message_read_basic(m, SD_BUS_TYPE_STRING, &s);
    if (r <= 0) return r < 0 ? r : -EBADMSG;
    const std::size_t n = std::strlen(s);
    if (n > kMaxGaneshaText) {
        error = std::string(what) + " of " + std::to_string(n) + " bytes, more than the " +
                std::to_string(kMaxGaneshaText) + " ganesha sends";
        return -EMSGSIZE;
    }
    out.assign(s, n);
    return 1;
}

int decodeClient(sd_bus_message* m, const char* contents, GaneshaClient& c, std::string& error) {
    int r = sd_bus_message_enter_container(m, SD_BUS_TYPE_STRUCT, contents);
    if (r <= 0) return r < 0 ? r : -EBADMSG;
    if ((r = readText(m, c.address, error, "a client address")) <= 0) return r;
    char type = 0;
    const char* inner = nullptr;
    if ((r = peek(m, type, inner)) <= 0) return r < 0 ? r : -EBADMSG;
    if (type != SD_BUS_TYPE_STRUCT) return -EBADMSG;
    if ((r = sd_bus_message_enter_container(m, SD_BUS_TYPE_STRUCT, inner)) <= 0)
        return r < 0 ? r : -EBADMSG;
    // One (sb) per protocol ganesha was built with: their number is not fixed. (At the end of a
    // struct, entering another fails with ENXIO; peeking says 0.)
    while ((r = peek(m, type, inner)) > 0) {
        if (type != SD_BUS_TYPE_STRUCT) return -EBADMSG;
        if ((r = sd_bus_message_enter_container(m, SD_BUS_TYPE_STRUCT, "sb")) <= 0)
            return r < 0 ? r : -EBADMSG;
        if (c.protocols.size() >= kMaxGaneshaProtocols) {
            error = "more than " + std::to_string(kMaxGaneshaProtocols) + " protocols for client " +
                    c.address;
            return -EMSGSIZE;
        }
        GaneshaProtocol p;
        if ((r = readText(m, p.name, error, "a protocol name")) <= 0) return r;
        int used = 0;
        if ((r = sd_bus_message_read_basic(m, SD_BUS_TYPE_BOOLEAN, &used)) <= 0)
            return r < 0 ? r : -EBADMSG;
        p.used = used != 0;
        c.protocols.push_back(std::move(p));
        if ((r = sd_bus_message_exit_container(m)) < 0) return r;
    }
    if (r < 0) return r;
    if ((r = sd_bus_message_exit_container(m)) < 0) return r;
    if ((r = sd_bus_message_read(m, "(tt)", &c.lastSeconds, &c.lastNanoseconds)) <= 0)
        return r < 0 ? r : -EBADMSG;
    return sd_bus_message_exit_container(m);
}

}  // namespace

bool decodeShowClients(sd_bus_message* reply, GaneshaClientList& out, std::string& error) {
    out = GaneshaClientList{};
    error.clear();
    auto fail = [&](int r) {
        const char* sig = sd_bus_message_get_signature(reply, 1);
        if (error.empty())
            error = "the ShowClients reply is not (tt)a(s((sb)...)(tt)) (" + errnoText(r) + ")";
        error += "; its signature is " + std::string(sig ? sig : "?").substr(0, 120);
        out = GaneshaClientList{};
        return false;
    };
    int r = sd_bus_message_read(reply, "(tt)", &out.seconds, &out.nanoseconds);
    if (r <= 0) return fail(r < 0 ? r : -EBADMSG);
    char type = 0;
    const char* contents = nullptr;
    if ((r = peek(reply, type, contents)) <= 0 || type != SD_BUS_TYPE_ARRAY || !contents)
        return fail(r < 0 ? r : -EBADMSG);
    const std::string element = contents;  // "(s(...)(tt))"
    if (element.size() < 2 || element.front() != '(' || element.back() != ')')
        return fail(-EBADMSG);
    const std::string fields = element.substr(1, element.size() - 2);
    if ((r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, contents)) <= 0)
        return fail(r < 0 ? r : -EBADMSG);
    while ((r = peek(reply, type, contents)) > 0) {
        if (out.clients.size() >= kMaxGaneshaClients) {
            out.truncated = true;  // the rest is not decoded
            return true;
        }
        GaneshaClient c;
        if ((r = decodeClient(reply, fields.c_str(), c, error)) < 0) return fail(r);
        out.clients.push_back(std::move(c));
    }
    if (r < 0) return fail(r);
    return true;
}

GaneshaClientsWatch::GaneshaClientsWatch(std::string bus, const Reporter& rep)
    : bus_(std::move(bus)), rep_(rep) {}

GaneshaClientsWatch::~GaneshaClientsWatch() {
    sd_bus_close_unref(conn_);
}

std::string GaneshaClientsWatch::busName() const {
    return bus_ == "system" ? "system bus" : bus_;
}

bool GaneshaClientsWatch::connect(std::string& error) {
    if (conn_) return true;
    int r = 0;
    if (bus_ == "system") {
        r = sd_bus_open_system(&conn_);
    } else {
        if ((r = sd_bus_new(&conn_)) >= 0 && (r = sd_bus_set_address(conn_, bus_.c_str())) >= 0 &&
            (r = sd_bus_set_bus_client(conn_, 1)) >= 0)
            r = sd_bus_start(conn_);
    }
    if (r < 0) {
        conn_ = sd_bus_unref(conn_);
        error = "cannot connect to D-Bus " + busName() + ": " + errnoText(r);
        return false;
    }
    return true;
}

void GaneshaClientsWatch::unavailable(const std::string& why) {
    // Once per reason: a ganesha that stays away is not reported at every poll.
    if (available_ != 0 || why != lastProblem_)
        rep_.warn(why +
                  "; nfs-ganesha's mounts are not seen until it answers (asked again every "
                  "poll interval); the other sources are still watched");
    available_ = 0;
    lastProblem_ = why;
}

void GaneshaClientsWatch::poll(const std::function<int(std::vector<PiExport>&)>& load,
                               const std::function<void(BootEvent&)>& emit) {
    std::string error;
    if (!connect(error)) {
        unavailable(error);
        return;
    }
    sd_bus_message* raw = nullptr;
    int r =
        sd_bus_message_new_method_call(conn_, &raw, kService, kObject, kInterface, "ShowClients");
    Message call(raw);
    sd_bus_error err{};  // SD_BUS_ERROR_NULL without its C compound literal
    raw = nullptr;
    if (r >= 0) r = sd_bus_call(conn_, call.get(), kCallTimeoutUs, &err, &raw);
    Message reply(raw);
    if (r < 0) {
        if (sd_bus_error_has_names(&err, SD_BUS_ERROR_SERVICE_UNKNOWN,
                                   SD_BUS_ERROR_NAME_HAS_NO_OWNER)) {
            error = "nfs-ganesha is not on D-Bus " + busName() + " (no owner of " + kService + ")";
        } else {
            error = std::string("nfs-ganesha's ShowClients failed: ") +
                    (sd_bus_error_is_set(&err)
                         ? std::string(err.name) + ": " + (err.message ? err.message : "")
                         : errnoText(r));
        }
        // A broken connection (the bus restarted) is made anew at the next poll.
        if (!sd_bus_error_is_set(&err) || sd_bus_is_open(conn_) <= 0)
            conn_ = sd_bus_close_unref(conn_);
        sd_bus_error_free(&err);
        unavailable(error);
        return;
    }
    sd_bus_error_free(&err);
    GaneshaClientList list;
    if (!decodeShowClients(reply.get(), list, error)) {
        unavailable("nfs-ganesha: " + error);
        return;
    }
    if (available_ != 1)
        rep_.info("watching nfs-ganesha's clients over D-Bus " + busName() +
                  (available_ == 0 ? " again" : ""));
    available_ = 1;
    std::vector<GaneshaMount> mounts;
    std::vector<std::string> warnings;
    tracker_.update(
        list, [&](std::vector<PiExport>& records) { return load(records) == kOk; }, mounts,
        warnings);
    for (const auto& w : warnings) rep_.warn(w);
    for (auto& m : mounts) {
        BootEvent e = nfsMountEvent(m.record, m.address, m.record.path, m.timestampUs);
        e.text = m.text;
        emit(e);
    }
}

}  // namespace rpinetboot::nfs
