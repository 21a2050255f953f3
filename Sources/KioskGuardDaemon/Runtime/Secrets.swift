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
        if let file = configuration.daemon.pseudonymKeyFile {
            return try Pseudonymizer(key: FileSystem.readSecret(file))
        }
        if let credentials = environment["CREDENTIALS_DIRECTORY"], FileSystem.isRegularFile(credentials + "/pseudonym-key") {
            return try Pseudonymizer(key: FileSystem.readSecret(credentials + "/pseudonym-key"))
        }
        let generated = configuration.daemon.stateDirectory + "/pseudonym.key"
        if !FileSystem.isRegularFile(generated) {
            try write(randomBytes(32), to: generated)
            audit.logger.warning("no pseudonym key configured; generated \(generated). Pseudonyms of this host match no other host's; configure pseudonym_key_file or the pseudonym-key credential for fleet-wide audits")
        }
        return try Pseudonymizer(key: FileSystem.readSecret(generated))
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
