import KioskGuardCore
#if canImport(Glibc)
public import Glibc
#endif

/// Finds, reads and validates the configuration: the main file, then its drop-ins
/// (`<file>.d/*.toml`, in lexical order), each overriding what came before. With no main file,
/// the built-in defaults apply (one terminal `default` admitting the invoking user).
public struct ConfigurationLoader: Sendable {
    /// The main file when `--config` is not given.
    public static let defaultPath = "/etc/kioskguard/kioskguard.toml"
    /// The largest configuration file read, in bytes.
    public static let maxFileSize = 1 << 20

    /// The environment paths come from (`RUNTIME_DIRECTORY`, `STATE_DIRECTORY`, `XDG_RUNTIME_DIR`).
    public var environment: [String: String]
    /// The user the daemon runs as.
    public var uid: uid_t
    /// The admin group used when `[control]` names none (the package creates it).
    public var defaultAdminGroup: String

    /// A loader for the current process.
    public init(environment: [String: String], uid: uid_t = getuid(), defaultAdminGroup: String = "kioskguard-admin") {
        self.environment = environment
        self.uid = uid
        self.defaultAdminGroup = defaultAdminGroup
    }

    /// Loads the configuration at `explicitPath`, or at `defaultPath`.
    public func load(path explicitPath: String? = nil) throws(ConfigurationError) -> DaemonConfiguration {
        let main = explicitPath ?? Self.defaultPath
        var files: [String] = []
        if FileSystem.isRegularFile(main) {
            files.append(main)
        } else if explicitPath != nil {
            throw ConfigurationError(file: main, line: 0, key: "", message: "no such configuration file")
        }
        if !files.isEmpty {
            files += FileSystem.entries(of: main + ".d").filter { $0.hasSuffix(".toml") }.sorted().map { "\(main).d/\($0)" }
        }
        var texts: [(file: String, text: String)] = []
        for file in files {
            do {
                texts.append((file, try FileSystem.readText(file, limit: Self.maxFileSize)))
            } catch {
                throw ConfigurationError(file: file, line: 0, key: "", message: error.reason)
            }
        }
        return try load(texts: texts)
    }

    /// Builds the configuration from file contents already read, in the order they apply (the
    /// main file, then its drop-ins); `file` names each in errors. The entry point of the fuzzer.
    public func load(texts: [(file: String, text: String)]) throws(ConfigurationError) -> DaemonConfiguration {
        var builder = ConfigurationBuilder(paths: DefaultPaths(environment: environment, uid: uid))
        for (file, text) in texts {
            let table: TOMLTable
            do {
                table = try TOMLParser.parse(text, file: file)
            } catch {
                throw ConfigurationError(file: error.file, line: error.line, key: "", message: error.message)
            }
            try builder.apply(TableReader(table, file: file, path: ""))
        }
        return try builder.build(sources: texts.map(\.file), invokingUID: uid, defaultAdminGroup: defaultAdminGroup)
    }
}

/// Where sockets and state go when the configuration does not say.
struct DefaultPaths {
    var runtimeDirectory: String
    var stateDirectory: String

    /// systemd's `RUNTIME_DIRECTORY`/`STATE_DIRECTORY` when set; otherwise `/run/kioskguard` and
    /// `/var/lib/kioskguard` for root, and `$XDG_RUNTIME_DIR/kioskguard` for other users.
    init(environment: [String: String], uid: uid_t) {
        let personal = (environment["XDG_RUNTIME_DIR"] ?? "/tmp/kioskguard-\(uid)") + "/kioskguard"
        runtimeDirectory = environment["RUNTIME_DIRECTORY"]?.split(separator: ":").first.map(String.init)
            ?? (uid == 0 ? "/run/kioskguard" : personal)
        stateDirectory = environment["STATE_DIRECTORY"]?.split(separator: ":").first.map(String.init)
            ?? (uid == 0 ? "/var/lib/kioskguard" : personal + "/state")
    }
}
