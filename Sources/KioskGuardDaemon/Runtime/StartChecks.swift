public import KioskGuardConfiguration
#if canImport(Glibc)
import Glibc
#endif

/// What a start needs beyond the configuration's own rules: the state directory and the sockets'
/// directories can be made and are private, the pseudonym key and every hotline secret can be
/// read and are well formed, every hotline CA file holds certificates. The daemon runs these
/// before it starts anything, and `kioskguardd --check-config` runs the same, so a check passes
/// exactly what a start accepts. Every problem is reported, not only the first.
public enum StartChecks {
    /// Every problem `configuration` would meet at a start as `user` (this process's unless
    /// told), for a person; none means it can start. `activatedSockets` names the sockets
    /// systemd passes (their paths are not the daemon's to prepare).
    public static func problems(
        _ configuration: DaemonConfiguration, environment: [String: String], activatedSockets: Set<String> = [], user: UInt32? = nil
    ) -> [String] {
        let user = user ?? geteuid()
        var problems: [String] = []
        let daemon = configuration.daemon
        if let problem = directoryProblem(daemon.stateDirectory, user: user) { problems.append("refusing the state directory: \(problem)") }
        for (name, path) in [("events", daemon.eventsSocket), ("control", daemon.controlSocket)] where !activatedSockets.contains(name) {
            if let problem = socketProblem(path, user: user) { problems.append("\(name) socket: \(problem)") }
        }
        do {
            _ = try Secrets.configuredPseudonymizer(configuration, environment: environment, user: user)
        } catch {
            problems.append("pseudonym key: \(error)")
        }
        for endpoint in configuration.hotlines {
            do {
                _ = try Secrets.hotlineSigner(for: endpoint, environment: environment, user: user)
            } catch {
                problems.append("hotline \(endpoint.name): secret \(error)")
            }
            if let caFile = endpoint.caFile, let problem = certificateProblem(caFile) {
                problems.append("hotline \(endpoint.name): ca_file \(problem)")
            }
        }
        return problems
    }

    /// The largest CA file read.
    static let maxCertificateFileSize = 1 << 20

    /// Why `directory` cannot serve as a private directory of the daemon: an existing one must
    /// pass `FileSystem.ownershipProblem`; a missing one must be creatable under its nearest
    /// existing ancestor.
    static func directoryProblem(_ directory: String, user: uid_t) -> String? {
        var info = stat()
        if stat(directory, &info) == 0 { return FileSystem.ownershipProblem(ofDirectory: directory, user: user) }
        guard errno == ENOENT else { return "\(directory): \(String(cString: strerror(errno)))" }
        var ancestor = directory
        repeat {
            ancestor = ancestor.lastIndex(of: "/").map { $0 == ancestor.startIndex ? "/" : String(ancestor[..<$0]) } ?? "/"
        } while ancestor != "/" && stat(ancestor, &info) != 0
        guard access(ancestor, W_OK | X_OK) == 0 else {
            return "\(directory) does not exist and cannot be created: \(ancestor): \(String(cString: strerror(errno)))"
        }
        return FileSystem.ownershipProblem(ofDirectory: ancestor, user: user, asAncestor: true)
    }

    private static func socketProblem(_ path: String, user: uid_t) -> String? {
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        // Worded as SocketPaths.prepare words them at the start itself.
        if let problem = directoryProblem(directory.isEmpty ? "/" : directory, user: user) {
            return "refusing the socket directory of \(path): \(problem)"
        }
        var info = stat()
        if lstat(path, &info) == 0, (info.st_mode & S_IFMT) != S_IFSOCK { return "\(path) exists and is not a socket; refusing to replace it" }
        return nil
    }

    private static func certificateProblem(_ path: String) -> String? {
        do {
            let text = try FileSystem.readText(path, limit: maxCertificateFileSize)
            return text.contains("-----BEGIN CERTIFICATE-----") ? nil : "\(path): holds no PEM certificate"
        } catch {
            return "\(error)"
        }
    }
}
