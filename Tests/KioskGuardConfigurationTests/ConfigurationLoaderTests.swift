import Foundation
import KioskGuardConfiguration
import KioskGuardCore
import Testing

/// Writes configuration files into a fresh directory for one test.
struct ConfigurationFixture {
    let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "kioskguard-config-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory + "/kioskguard.toml.d", withIntermediateDirectories: true)
    }

    var main: String { directory + "/kioskguard.toml" }

    func write(_ text: String, to name: String = "kioskguard.toml") throws {
        try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
    }

    func load() throws -> DaemonConfiguration {
        try ConfigurationLoader(environment: ["RUNTIME_DIRECTORY": "/run/kg-test", "STATE_DIRECTORY": "/var/lib/kg-test"])
            .load(path: main)
    }

    /// Writes `text` as the main file and checks that loading it fails at `line`, on `key`, saying
    /// `message`.
    func expectError(in text: String, line: Int, key: String, message: String,
                     sourceLocation: SourceLocation = #_sourceLocation) throws {
        try write(text)
        let refusal = try #require(self.error(), sourceLocation: sourceLocation)
        #expect(refusal.file == main, sourceLocation: sourceLocation)
        #expect(refusal.line == line, "\(refusal)", sourceLocation: sourceLocation)
        #expect(refusal.key == key, "\(refusal)", sourceLocation: sourceLocation)
        #expect(refusal.message.contains(message), "\(refusal)", sourceLocation: sourceLocation)
        #expect(refusal.description.hasPrefix("\(main):\(line): "), sourceLocation: sourceLocation)
    }

    func error() -> ConfigurationError? {
        do {
            _ = try load()
            return nil
        } catch let error as ConfigurationError {
            return error
        } catch {
            return nil
        }
    }
}

/// A group every Debian system has, for tests that need a real one.
let rootGroup = "root"

@Suite("Configuration")
struct ConfigurationLoaderTests {
    @Test("the contract's skeleton loads, with per-terminal policy over [policy]")
    func skeleton() throws {
        let fixture = try ConfigurationFixture()
        try fixture.write("""
        [daemon]
        events_socket = "/run/kioskguard/events.sock"
        control_socket = "/run/kioskguard/control.sock"
        state_directory = "/var/lib/kioskguard"
        pseudonym_key_file = "/etc/kioskguard/pseudonym.key"
        log_target = "auto"

        [policy]
        idle_timeout = "120s"
        warn_before = "20s"
        pattern_threshold = 4

        [control]
        admin_groups = ["\(rootGroup)"]
        read_groups = []

        [alerts]
        min_severity = "medium"
        stall_after = "15min"

        [[hotline]]
        name = "primary"
        url = "https://hotline.example.org/kioskguard"
        secret_file = "/etc/kioskguard/hotline.secret"
        timeout = "15s"

        [[terminal]]
        name = "counter-1"
        allowed_users = ["root", "1234"]
        allowed_groups = []
        lock_actions = ["client", "logind"]
        [terminal.policy]
        idle_timeout = "60s"
        """)
        let configuration = try fixture.load()
        #expect(configuration.sources == [fixture.main])
        #expect(configuration.daemon.pseudonymKeyFile == "/etc/kioskguard/pseudonym.key")
        #expect(configuration.hostRules.patternThreshold == 4)
        #expect(configuration.alerts.stallAfter == .seconds(900))
        #expect(configuration.hotlines.map(\.name) == ["primary"])
        let terminal = try #require(configuration.terminals.first)
        #expect(terminal.profile.policy.idleTimeout == .seconds(60))
        #expect(terminal.profile.policy.warnBefore == .seconds(20))
        #expect(terminal.profile.lockPlan == LockPlan(waitsForClient: true, systemActions: [.logind]))
        #expect(terminal.allowedUsers.map(\.id) == [0, 1234])
        #expect(terminal.admits(uid: 1234, gid: 99, groups: []))
        #expect(!terminal.admits(uid: 1235, gid: 0, groups: [0]))
    }

    @Test("drop-ins apply in lexical order and override keys")
    func dropIns() throws {
        let fixture = try ConfigurationFixture()
        try fixture.write("[control]\nadmin_groups = []\n[policy]\nidle_timeout = 100\n[[terminal]]\nname = \"a\"\n")
        try fixture.write("[policy]\nidle_timeout = \"200s\"\n", to: "kioskguard.toml.d/20-later.toml")
        try fixture.write("[policy]\nidle_timeout = \"150s\"\nwarn_before = \"30s\"\n[[terminal]]\nname = \"b\"\n", to: "kioskguard.toml.d/10-first.toml")
        try fixture.write("[policy]\nidle_timeout = 1\n", to: "kioskguard.toml.d/ignored.conf")
        let configuration = try fixture.load()
        #expect(configuration.policy.idleTimeout == .seconds(200))
        #expect(configuration.policy.warnBefore == .seconds(30))
        #expect(configuration.terminals.map(\.name) == ["a", "b"])
        #expect(configuration.terminals.allSatisfy { $0.profile.policy.idleTimeout == .seconds(200) })
        #expect(configuration.sources.map { $0.split(separator: "/").last! } == ["kioskguard.toml", "10-first.toml", "20-later.toml"])
    }

    @Test("errors name the file, the line and the key", arguments: [
        ("[control]\nadmin_groups = []\n[policy]\n\nidle_timout = \"60s\"\n", 5, "policy.idle_timout", "unknown key"),
        ("[control]\nadmin_groups = []\n[policy]\nidle_timeout = \"soon\"\n", 4, "policy.idle_timeout", "not a time span"),
        ("[control]\nadmin_groups = []\n[daemon]\nlog_target = \"syslog\"\n", 4, "daemon.log_target", "not one of"),
        ("[control]\nadmin_groups = []\n[daemon]\nstate_directory = \"relative\"\n", 4, "daemon.state_directory", "absolute"),
        ("[control]\nadmin_groups = [\"no-such-group-kg\"]\n", 2, "control.admin_groups", "no group named"),
        ("[control]\nadmin_groups = []\n[[terminal]]\nname = \"t\"\nallowed_users = [\"no-such-user-kg\"]\n", 5, "terminal.allowed_users", "no user named"),
        ("[control]\nadmin_groups = []\n[[terminal]]\nname = \"t\"\nlock_actions = [\"logind\", \"client\"]\n", 5, "terminal.lock_actions", "only come first"),
        ("[control]\nadmin_groups = []\n[[terminal]]\nname = \"t\"\nlock_actions = [\"exec\"]\n", 3, "terminal.exec_command", "absolute program path"),
        ("[control]\nadmin_groups = []\n[[terminal]]\nname = \"t\"\n[terminal.policy]\npattern_threshold = 2\n", 6, "terminal.policy.pattern_threshold", "unknown key"),
        ("[control]\nadmin_groups = []\n[[terminal]]\nname = \"t\"\n[[terminal]]\nname = \"t\"\n", 6, "terminal.name", "defined twice"),
        ("[control]\nadmin_groups = []\n[[terminal]]\nname = \"bad name\"\n", 4, "terminal.name", "needs a name"),
        ("[control]\nadmin_groups = []\n[daemon]\nmax_line_length = 10\n", 4, "daemon.max_line_length", "between"),
        ("[control]\nadmin_groups = []\n[daemon]\nsite = \"\"\n", 4, "daemon.site", "1 to 128 bytes"),
        ("[control]\nadmin_groups = []\n[daemon]\nsite = \"Kita ward\\n\"\n", 4, "daemon.site", "control characters"),
        ("[control]\nadmin_groups = []\n[daemon]\nsite = \" Kita\"\n", 4, "daemon.site", "surrounding spaces"),
        ("[control]\nadmin_groups = []\n[daemon]\nsite = \"\(String(repeating: "区", count: 43))\"\n", 4, "daemon.site", "1 to 128 bytes"),
        ("unknown = 1\n[control]\nadmin_groups = []\n", 1, "unknown", "unknown key"),
        ("[control]\nadmin_groups = []\nunknown = 1\n", 3, "control.unknown", "unknown key"),
        ("[control]\nadmin_groups = []\n[policy]\nidle_timeout = [1]\n", 4, "policy.idle_timeout", "found an array"),
        ("[control]\nadmin_groups = 7\n", 2, "control.admin_groups", "array of strings"),
        ("[[hotline]]\nname = \"h\"\nurl = \"ftp://x\"\n", 3, "hotline.url", "http"),
        ("[[hotline]]\nname = \"h\"\nurl = \"http://x\"\nformat = \"prometheus\"\n", 4, "hotline.format", "not one of cloudevents, alertmanager"),
        ("[[hotline]]\nname = \"h\"\nurl = \"http://x\"\nresolve_after = \"2h\"\n", 4, "hotline.resolve_after", "alertmanager"),
        ("[[hotline]]\nname = \"h\"\nurl = \"http://x\"\nformat = \"alertmanager\"\nresolve_after = \"30s\"\n", 5, "hotline.resolve_after", "at least 1min"),
        ("[control]\nadmin_groups = []\n[metrics]\ntextfile = \"/var/lib/prometheus/node-exporter/kioskguard.txt\"\n", 4, "metrics.textfile", "ending in .prom"),
        ("[control]\nadmin_groups = []\n[metrics]\ntextfile = \"/var/lib/prometheus/node-exporter/.prom\"\n", 4, "metrics.textfile", "ending in .prom"),
        ("[control]\nadmin_groups = []\n[metrics]\ntextfile = \"kioskguard.prom\"\n", 4, "metrics.textfile", "absolute"),
        ("[control]\nadmin_groups = []\n[metrics]\ninterval = \"0s\"\n", 4, "metrics.interval", "from 1s to 1h"),
        ("[control]\nadmin_groups = []\n[metrics]\nport = 9100\n", 4, "metrics.port", "unknown key"),
        ("[control\n", 1, "", "expected"),
        ("[control]\nadmin_groups = []\n[[terminal]]\nname = \"t\"\ncard_reader = \"\"\n", 5, "terminal.card_reader", "name a reader"),
        ("[control]\nadmin_groups = []\n[[terminal]]\nname = \"t\"\ncard_identity_apdu = \"00CA010000\"\n", 5, "terminal.card_identity_apdu", "needs card_reader"),
        ("[control]\nadmin_groups = []\n[[terminal]]\nname = \"t\"\ncard_identity = \"jpki-auth-certificate\"\n", 5, "terminal.card_identity", "needs card_reader"),
        ("[control]\nadmin_groups = []\n[[terminal]]\nname = \"t\"\ncard_reader = \"R*\"\ncard_identity = \"apdu\"\n", 6, "terminal.card_identity", "needs card_identity_apdu"),
        ("[control]\nadmin_groups = []\n[[terminal]]\nname = \"t\"\ncard_reader = \"R*\"\ncard_identity = \"atr\"\ncard_identity_apdu = \"00CA010000\"\n", 7, "terminal.card_identity_apdu", "goes with card_identity"),
        ("[control]\nadmin_groups = []\n[[terminal]]\nname = \"t\"\ncard_reader = \"R*\"\ncard_identity = \"serial\"\n", 6, "terminal.card_identity", "jpki-auth-certificate"),
        ("[control]\nadmin_groups = []\n[[terminal]]\nname = \"t\"\ncard_reader = \"R*\"\ncard_identity_apdu = \"00CA01\"\n", 6, "terminal.card_identity_apdu", "4 to 261 bytes"),
        ("[control]\nadmin_groups = []\n[[terminal]]\nname = \"t\"\ncard_reader = \"R*\"\ncard_identity_apdu = \"+0CA0100\"\n", 6, "terminal.card_identity_apdu", "in hex"),
    ])
    func errors(text: String, line: Int, key: String, message: String) throws {
        try ConfigurationFixture().expectError(in: text, line: line, key: key, message: message)
    }

    @Test("[metrics] and an Alertmanager hotline are read, with their defaults")
    func metricsAndAlertmanager() throws {
        let fixture = try ConfigurationFixture()
        try fixture.write("""
            [control]
            admin_groups = []
            [metrics]
            textfile = "/var/lib/prometheus/node-exporter/kioskguard.prom"
            interval = "30s"
            [[hotline]]
            name = "am-1"
            url = "http://127.0.0.1:9093/"
            format = "alertmanager"
            resolve_after = "2h"
            [[hotline]]
            name = "webhook"
            url = "https://hotline.example/alerts"
            """)
        let configuration = try fixture.load()
        #expect(configuration.metrics == MetricsSettings(textfile: "/var/lib/prometheus/node-exporter/kioskguard.prom", interval: .seconds(30)))
        #expect(configuration.hotlines.map(\.format) == [.alertmanager, .cloudevents])
        #expect(configuration.hotlines.map(\.resolveAfter) == [.seconds(7200), .seconds(3600)])
        try fixture.write("[control]\nadmin_groups = []\n")
        #expect(try fixture.load().metrics == MetricsSettings())
        #expect(MetricsSettings().textfile == nil && MetricsSettings().interval == .seconds(15))
    }

    @Test("a site names the office, in any script")
    func site() throws {
        let fixture = try ConfigurationFixture()
        try fixture.write("[daemon]\nsite = \"札幌市 北区役所\"\n[control]\nadmin_groups = []\n")
        #expect(try fixture.load().daemon.site == "札幌市 北区役所")
        try fixture.write("[control]\nadmin_groups = []\n")
        #expect(try fixture.load().daemon.site == nil)
    }

    @Test("a card reader and its identity APDU are read per terminal, and make the engine watch it")
    func cardReader() throws {
        let fixture = try ConfigurationFixture()
        try fixture.write("""
            [control]
            admin_groups = []
            [[terminal]]
            name = "watched"
            card_reader = "Virtual PCD*"
            card_identity_apdu = "00 CA 01 00 00"
            [[terminal]]
            name = "plain"
            [[terminal]]
            name = "my-number"
            card_reader = "ACS*"
            card_identity = "jpki-auth-certificate"
            """)
        let terminals = try fixture.load().terminals
        #expect(terminals[2].cardIdentity == .jpkiAuthenticationCertificate)
        #expect(terminals[0].cardReader == "Virtual PCD*" && terminals[0].cardIdentity == .apdu([0x00, 0xCA, 0x01, 0x00, 0x00]))
        #expect(terminals[0].profile.watchesCardReader && !terminals[1].profile.watchesCardReader)
        #expect(terminals[1].cardReader == nil && terminals[1].cardIdentity == .atr)
    }

    @Test("an impossible policy is refused: a warning as long as the timeout")
    func impossiblePolicy() throws {
        let fixture = try ConfigurationFixture()
        try fixture.write("[control]\nadmin_groups = []\n[[terminal]]\nname = \"t\"\n[terminal.policy]\nidle_timeout = 20\nwarn_before = 20\n")
        let error = try #require(fixture.error())
        #expect(error.message.contains("warn_before must be shorter than idle_timeout"))
    }

    @Test("the default admin group must exist when a file does not name groups")
    func defaultAdminGroup() throws {
        let fixture = try ConfigurationFixture()
        try fixture.write("[[terminal]]\nname = \"t\"\n")
        // A name no host has, so the test does not depend on whether this machine has the package's group.
        let loader = ConfigurationLoader(environment: [:], defaultAdminGroup: "kioskguard-test-absent-group")
        do {
            _ = try loader.load(path: fixture.main)
            Issue.record("accepted a missing default admin group")
        } catch {
            #expect(error.key == "control.admin_groups")
            #expect(error.message.contains("kioskguard-test-absent-group"))
        }
        #expect(ConfigurationLoader(environment: [:]).defaultAdminGroup == "kioskguard-admin")
    }

    @Test("with no file at all, one terminal 'default' admits the invoking user, paths from the environment")
    func builtInDefaults() throws {
        let loader = ConfigurationLoader(environment: ["XDG_RUNTIME_DIR": "/run/user/1000"], uid: 1000)
        let configuration = try loader.load(path: nil as String?)
        #expect(configuration.isBuiltInDefault)
        #expect(configuration.terminals.map(\.name) == ["default"])
        #expect(configuration.terminals.first?.allowedUsers.map(\.id) == [1000])
        #expect(configuration.daemon.eventsSocket == "/run/user/1000/kioskguard/events.sock")
        #expect(configuration.daemon.stateDirectory == "/run/user/1000/kioskguard/state")
        let service = try ConfigurationLoader(environment: ["RUNTIME_DIRECTORY": "/run/kioskguard", "STATE_DIRECTORY": "/var/lib/kioskguard"], uid: 0)
            .load(path: nil as String?)
        #expect(service.daemon.controlSocket == "/run/kioskguard/control.sock")
        #expect(service.daemon.stateDirectory == "/var/lib/kioskguard")
    }

    @Test("an explicit path that does not exist is an error, not the defaults")
    func missingExplicit() {
        #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader(environment: [:]).load(path: "/nonexistent/kioskguard.toml")
        }
    }

    @Test("one run reports the first error of every table and of every file, in file order")
    func everyError() throws {
        let fixture = try ConfigurationFixture()
        try fixture.write("""
        [daemon]
        log_target = "syslog"
        [policy]
        idle_timeout = "soon"
        [control]
        admin_groups = []
        [[terminal]]
        name = "a"
        allowed_users = ["kioskguard-test-absent-user"]
        [[terminal]]
        name = "b"
        colour = "red"
        """)
        try fixture.write("[alerts\n", to: "kioskguard.toml.d/10-broken.toml")
        let error = try #require(fixture.error())
        #expect(error.all.map(\.key) == ["daemon.log_target", "policy.idle_timeout", "terminal.allowed_users", "terminal.colour", ""])
        #expect(error.all.map(\.line) == [2, 4, 9, 12, 1])
        #expect(error.all.last?.file == fixture.directory + "/kioskguard.toml.d/10-broken.toml")
        #expect(error.furtherErrors.count == 4)
        #expect(error.description.split(separator: "\n").count == 5)
        #expect(error.description.hasPrefix("\(fixture.main):2: daemon.log_target: 'syslog' is not one of"))
    }

    @Test("a drop-in that cannot be read is an error of its own, the others still checked")
    func unreadableDropIn() throws {
        let fixture = try ConfigurationFixture()
        try fixture.write("[control]\nadmin_groups = []\n[policy]\nwarn_before = \"later\"\n")
        try FileManager.default.createDirectory(atPath: fixture.directory + "/kioskguard.toml.d/20-dir.toml", withIntermediateDirectories: true)
        let error = try #require(fixture.error())
        #expect(error.all.map(\.key) == ["policy.warn_before", ""])
        #expect(error.all.last?.message == "not a regular file")
    }

    @Test("systemd time spans", arguments: [
        ("90s", Duration.seconds(90)), ("2min", .seconds(120)), ("1h 30min", .seconds(5400)), ("1h30min", .seconds(5400)),
        ("500ms", .milliseconds(500)), ("1.5h", .seconds(5400)), ("45", .seconds(45)), ("2 weeks", .seconds(1_209_600)),
        ("1d 2h 3m 4s", .seconds(93_784)), ("250us", .microseconds(250)),
    ])
    func timeSpans(text: String, expected: Duration) {
        #expect(TimeSpan.parse(text) == expected)
    }

    @Test("not time spans", arguments: ["", "soon", "-5s", "5 parsecs", "1h junk", "s", "1e3s"])
    func notTimeSpans(text: String) {
        #expect(TimeSpan.parse(text) == nil)
    }
}
