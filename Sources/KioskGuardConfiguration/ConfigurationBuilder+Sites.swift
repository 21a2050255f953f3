import KioskGuardCore

/// `[[site]]` and `[[site.step]]`: the web portals browser kiosks guard. Every URL must lie on
/// one of the site's origins, so the extension never acts on a page of another site.
extension ConfigurationBuilder {
    /// The most origins and steps one site may list: the whole goes to the extension in `welcome`.
    static let maxSiteOrigins = 16
    static let maxSiteSteps = 32
    /// The longest URL pattern or CSS selector accepted.
    static let maxSitePatternLength = 1024

    mutating func addSite(_ section: inout TableReader) throws(ConfigurationError) {
        guard let name = try section.string("name"), TerminalProfile.isValidName(name) else {
            throw section.error("name", "every [[site]] needs a name of 1 to 64 letters, digits, '.', '_' or '-'")
        }
        guard !sites.contains(where: { $0.site.name == name }) else { throw section.error("name", "site '\(name)' is defined twice") }
        let origins = try Self.origins(&section)
        guard let startURL = try Self.url(&section, "start_url", on: origins) else {
            throw section.error("start_url", "every [[site]] needs a start_url: the page opened after a terminate")
        }
        guard !startURL.contains("*") else { throw section.error("start_url", "start_url is a page to open, not a pattern: no '*'") }
        var site = GuardedSite(name: name, origins: origins, startURL: startURL,
                               loginURL: try Self.url(&section, "login_url", on: origins),
                               logoutURL: try Self.url(&section, "logout_url", on: origins))
        site.terminals = try section.strings("terminals") ?? []
        let steps = try section.tables("step")
        guard steps.count <= Self.maxSiteSteps else { throw section.error("step", "a site may have at most \(Self.maxSiteSteps) steps") }
        for var step in steps { site.steps.append(try Self.step(&step, on: origins, existing: site.steps)) }
        try section.rejectUnknownKeys()
        sites.append((site, section))
    }

    /// A site's `terminals` must name configured terminals: a typo would leave a counter unguarded.
    func siteTerminalErrors(_ terminals: [TerminalConfiguration]) -> [ConfigurationError] {
        sites.flatMap { site, reader in
            site.terminals.filter { name in !terminals.contains { $0.name == name } }.map {
                reader.error("terminals", "site '\(site.name)' names terminal '\($0)', which no [[terminal]] defines")
            }
        }
    }

    private static func step(_ section: inout TableReader, on origins: [String], existing: [GuardedSite.Step]) throws(ConfigurationError) -> GuardedSite.Step {
        guard let name = try section.string("name"), isStepName(name) else {
            throw section.error("name", "every [[site.step]] needs a name of 1 to 128 visible ASCII characters, as the step is named in step.request")
        }
        guard !existing.contains(where: { $0.name == name }) else { throw section.error("name", "step '\(name)' is defined twice in this site") }
        guard let url = try url(&section, "url", on: origins) else { throw section.error("url", "every [[site.step]] needs the url of the pages its form is on") }
        guard let form = try selector(&section, "form") else { throw section.error("form", "every [[site.step]] needs form, a CSS selector of the form whose submit is the step") }
        let step = GuardedSite.Step(name: name, url: url, form: form, sensitive: try section.bool("sensitive") ?? false,
                                    accountField: try selector(&section, "account_field"))
        try section.rejectUnknownKeys()
        return step
    }

    private static func origins(_ section: inout TableReader) throws(ConfigurationError) -> [String] {
        guard let origins = try section.strings("origins"), !origins.isEmpty else {
            throw section.error("origins", "every [[site]] needs origins, such as [\"https://portal.example.jp\"]")
        }
        guard origins.count <= maxSiteOrigins else { throw section.error("origins", "a site may have at most \(maxSiteOrigins) origins") }
        for origin in origins where !isOrigin(origin) {
            throw section.error("origins", "'\(origin)' is not an origin: https:// or http://, a host in lower case and an optional port, with no path")
        }
        return origins
    }

    /// A URL or URL pattern that must lie on one of `origins` (the origin, then `/` or the end).
    private static func url(_ section: inout TableReader, _ key: String, on origins: [String]) throws(ConfigurationError) -> String? {
        guard let url = try section.string(key) else { return nil }
        guard url.utf8.count <= maxSitePatternLength, url.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw section.error(key, "must be at most \(maxSitePatternLength) visible ASCII characters (percent-encode the rest)")
        }
        guard origins.contains(where: { url == $0 || url.hasPrefix($0 + "/") }) else {
            throw section.error(key, "'\(url)' is not on one of the site's origins (\(origins.joined(separator: ", ")))")
        }
        return url
    }

    private static func selector(_ section: inout TableReader, _ key: String) throws(ConfigurationError) -> String? {
        guard let selector = try section.string(key) else { return nil }
        guard !selector.trimmingWhitespace().isEmpty, selector.utf8.count <= maxSitePatternLength,
              !selector.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F })
        else {
            throw section.error(key, "must be a CSS selector of 1 to \(maxSitePatternLength) bytes on one line, such as \"form#account\"")
        }
        return selector
    }

    static func isOrigin(_ text: String) -> Bool {
        let scheme: Substring
        if text.hasPrefix("https://") { scheme = "https://" } else if text.hasPrefix("http://") { scheme = "http://" } else { return false }
        let authority = text.utf8.dropFirst(scheme.utf8.count)
        let host = authority.prefix { $0 != UInt8(ascii: ":") }
        let port = authority.dropFirst(host.count)
        let hostIsValid = !host.isEmpty && host.count <= 253 && host.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"): true
            default: false
            }
        }
        let digits = port.dropFirst()
        let portIsValid = port.isEmpty || (port.first == UInt8(ascii: ":") && (1...5).contains(digits.count)
            && digits.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } && Int(String(decoding: digits, as: UTF8.self))! <= 65535)
        return hostIsValid && portIsValid
    }

    private static func isStepName(_ name: String) -> Bool {
        (1...128).contains(name.utf8.count) && name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }
}
