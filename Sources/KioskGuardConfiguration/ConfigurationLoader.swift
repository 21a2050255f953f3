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

    /// Loads the configuration at `explicitPath`, or at `defaultPath`. Only a main file that does
    /// not exist means the built-in defaults: one that exists but cannot be read (its directory
    /// or mode keeps this user out) is an error, never "no file".
    public func load(path explicitPath: String? = nil) throws(ConfigurationError) -> DaemonConfiguration {
        let main = explicitPath ?? Self.defaultPath
        switch FileSystem.presence(of: main) {
        case .absent where explicitPath == nil:
            return try load(texts: [])
        case .absent:
            throw ConfigurationError(file: main, line: 0, key: "", message: "no such configuration file")
        case .unreachable(let reason):
            throw ConfigurationError(file: main, line: 0, key: "", message: "cannot be read: \(reason)")
        case .present:
            break
        }
        var files: [(file: String, content: Result<String, ConfigurationError>)] = [(main, Self.read(main))]
        do {
            files += try FileSystem.entries(of: main + ".d").filter { $0.hasSuffix(".toml") }.sorted().map { name in
                let file = "\(main).d/\(name)"
                return (file, Self.read(file))
            }
        } catch {
            files.append((error.path, .failure(ConfigurationError(file: error.path, line: 0, key: "",
                                                                  message: "the drop-in directory cannot be read: \(error.reason)"))))
        }
        return try load(files: files)
    }

    /// Builds the configuration from file contents already read, in the order they apply (the
    /// main file, then its drop-ins); `file` names each in errors. The entry point of the fuzzer.
    public func load(texts: [(file: String, text: String)]) throws(ConfigurationError) -> DaemonConfiguration {
        try load(files: texts.map { ($0.file, .success($0.text)) })
    }

    private static func read(_ file: String) -> Result<String, ConfigurationError> {
        Result { () throws(FileSystemError) in try FileSystem.readText(file, limit: maxFileSize) }
            .mapError { ConfigurationError(file: file, line: 0, key: "", message: $0.reason) }
    }

    private func load(files: [(file: String, content: Result<String, ConfigurationError>)]) throws(ConfigurationError) -> DaemonConfiguration {
        var builder = ConfigurationBuilder(paths: DefaultPaths(environment: environment, uid: uid))
        for (file, content) in files {
            do throws(ConfigurationError) {
                let text = try content.get()
                do throws(TOMLError) {
                    builder.apply(TableReader(try TOMLParser.parse(text, file: file), file: file, path: ""))
                } catch {
                    throw ConfigurationError(file: error.file, line: error.line, key: "", message: error.message)
                }
            } catch {
                builder.record(error)
            }
        }
        return try builder.build(sources: files.map(\.file), invokingUID: uid, defaultAdminGroup: defaultAdminGroup)
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
