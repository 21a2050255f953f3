import FoundationEssentials

/// Where a hotline's alerts travel, as far as its URL says.
enum HotlineURL {
    /// A warning when hotline `name`'s `url` is `http://` to another host: its alerts would cross
    /// the network in clear text (signed, so not forged, but readable and droppable on the way).
    static func plainTextWarning(name: String, url text: String) -> String? {
        guard let url = URL(string: text), url.scheme?.lowercased() == "http" else { return nil }
        let host = String((url.host ?? "").lowercased().filter { $0 != "[" && $0 != "]" })
        guard !isLoopback(host) else { return nil }
        return "hotline \(name) is plain http:// to \(host.isEmpty ? "an unnamed host" : host), not this host: its alerts cross the network unencrypted; use https://"
    }

    /// `localhost`, 127.0.0.0/8 or ::1.
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}
