/// kioskguard's release version: the one place it is written. The daemon reports it (`status`,
/// `daemon-started`), both executables print it for `--version`, and packaging/build-deb.sh reads
/// it from this file for the package.
public enum KioskGuardVersion {
    /// The version of this build.
    public static let current = "0.1.0"
}
