import KioskGuardConfiguration
import KioskGuardCore
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Loads the secrets the daemon needs: from the configured file (mode 0600 or stricter), else
/// from the systemd credential in `$CREDENTIALS_DIRECTORY`.
enum Secrets {
    /// The host's pseudonym key. With none configured, a key is generated once in the state
    /// directory: the daemon still works, but its pseudonyms match no other host's.
    static func pseudonymizer(_ configuration: DaemonConfiguration, environment: [String: String], audit: AuditLog) throws -> Pseudonymizer {
        if let configured = try configuredPseudonymizer(configuration, environment: environment) { return configured }
        let generated = generatedKeyPath(configuration)
        try write(randomBytes(32), to: generated)
        audit.logger.warning("no pseudonym key configured; generated \(generated). Pseudonyms of this host match no other host's; configure pseudonym_key_file or the pseudonym-key credential for fleet-wide audits")
        return try pseudonymizer(keyFile: generated)
    }

    /// The key that exists: the configured file, else the `pseudonym-key` credential, else one
    /// generated before; nil when there is none yet. Throws when the one there cannot be used.
    /// `user` is the uid the daemon runs as: a check by root on its behalf passes only files that
    /// user could open.
    static func configuredPseudonymizer(
        _ configuration: DaemonConfiguration, environment: [String: String], user: uid_t = geteuid()
    ) throws -> Pseudonymizer? {
        if let file = configuration.daemon.pseudonymKeyFile { return try pseudonymizer(keyFile: file, user: user) }
        if let credentials = environment["CREDENTIALS_DIRECTORY"], FileSystem.isRegularFile(credentials + "/pseudonym-key") {
            return try pseudonymizer(keyFile: credentials + "/pseudonym-key", user: user)
        }
        let generated = generatedKeyPath(configuration)
        guard FileSystem.presence(of: generated) != .absent else { return nil }
        return try pseudonymizer(keyFile: generated, user: user)
    }

    private static func pseudonymizer(keyFile: String, user: uid_t = geteuid()) throws -> Pseudonymizer {
        let key = try readSecret(keyFile, user: user)
        do {
            return try Pseudonymizer(key: key)
        } catch {
            throw DaemonError("\(keyFile): \(error)")
        }
    }

    /// The signer for `endpoint`: its `secret_file`, else the `hotline-secret` credential; nil
    /// when it has neither (its alerts go unsigned). Throws when the secret cannot be used; the
    /// error never contains the secret.
    static func hotlineSigner(for endpoint: HotlineEndpoint, environment: [String: String], user: uid_t = geteuid()) throws -> WebhookSigner? {
        var file = endpoint.secretFile
        if file == nil, let credentials = environment["CREDENTIALS_DIRECTORY"], FileSystem.isRegularFile(credentials + "/hotline-secret") {
            file = credentials + "/hotline-secret"
        }
        guard let file else { return nil }
        let bytes = try readSecret(file, user: user)
        do {
            return try WebhookSigner(secret: String(decoding: bytes, as: UTF8.self))
        } catch {
            throw DaemonError("\(file): \(error)")
        }
    }

    /// `FileSystem.readSecret` for a daemon running as `user`. Root reads any file, so when root
    /// checks on behalf of another user, a file only root could open is refused here as it would
    /// be at that user's start.
    private static func readSecret(_ file: String, user: uid_t) throws -> [UInt8] {
        var info = stat()
        if user != geteuid(), stat(file, &info) == 0, info.st_uid != user {
            throw DaemonError("\(file): belongs to uid \(info.st_uid) with mode \(String(info.st_mode & 0o777, radix: 8)): the daemon's user (uid \(user)) cannot open it; chown it to that user, or hand it over as a systemd credential")
        }
        return try FileSystem.readSecret(file, user: user)
    }

    private static func generatedKeyPath(_ configuration: DaemonConfiguration) -> String {
        configuration.daemon.stateDirectory + "/pseudonym.key"
    }

    /// `SystemRandomNumberGenerator` is cryptographically secure on Linux (getrandom(2)).
    private static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    private static func write(_ bytes: [UInt8], to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw DaemonError("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        guard Glibc.write(descriptor, bytes, bytes.count) == bytes.count, fsync(descriptor) == 0 else {
            throw DaemonError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
