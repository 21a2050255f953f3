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
    static func configuredPseudonymizer(_ configuration: DaemonConfiguration, environment: [String: String]) throws -> Pseudonymizer? {
        if let file = configuration.daemon.pseudonymKeyFile { return try pseudonymizer(keyFile: file) }
        if let credentials = environment["CREDENTIALS_DIRECTORY"], FileSystem.isRegularFile(credentials + "/pseudonym-key") {
            return try pseudonymizer(keyFile: credentials + "/pseudonym-key")
        }
        let generated = generatedKeyPath(configuration)
        guard FileSystem.presence(of: generated) != .absent else { return nil }
        return try pseudonymizer(keyFile: generated)
    }

    private static func pseudonymizer(keyFile: String) throws -> Pseudonymizer {
        let key = try FileSystem.readSecret(keyFile)
        do {
            return try Pseudonymizer(key: key)
        } catch {
            throw DaemonError("\(keyFile): \(error)")
        }
    }

    /// The signer for `endpoint`: its `secret_file`, else the `hotline-secret` credential; nil
    /// when it has neither (its alerts go unsigned). Throws when the secret cannot be used; the
    /// error never contains the secret.
    static func hotlineSigner(for endpoint: HotlineEndpoint, environment: [String: String]) throws -> WebhookSigner? {
        var file = endpoint.secretFile
        if file == nil, let credentials = environment["CREDENTIALS_DIRECTORY"], FileSystem.isRegularFile(credentials + "/hotline-secret") {
            file = credentials + "/hotline-secret"
        }
        guard let file else { return nil }
        let bytes = try FileSystem.readSecret(file)
        do {
            return try WebhookSigner(secret: String(decoding: bytes, as: UTF8.self))
        } catch {
            throw DaemonError("\(file): \(error)")
        }
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
