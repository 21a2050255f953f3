import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// Options every live verb shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The daemon's control socket.", valueName: "path"))
    var socket: String = GlobalOptions.defaultSocket

    @Flag(name: .long, help: "Print stable machine-readable JSON instead of tables.")
    var json = false

    func validate() throws {
        guard !socket.isEmpty else { throw ValidationError("--socket needs a path") }
    }

    /// The socket's path, a relative one taken from the current directory.
    var socketPath: String {
        guard !socket.hasPrefix("/") else { return socket }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return socket }
        let directory = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return (directory == "/" ? "" : directory) + "/" + socket
    }

    /// The installed daemon's socket (`/run/kioskguard/control.sock`), which admins in the admin
    /// group reach without root; for a non-root user running a daemon of their own on its
    /// defaults (`$XDG_RUNTIME_DIR/kioskguard`), that one when it exists.
    static var defaultSocket: String {
        let system = "/run/kioskguard/control.sock"
        if getuid() == 0 { return system }
        let runtime = getenv("XDG_RUNTIME_DIR").map { String(cString: $0) } ?? "/tmp/kioskguard-\(getuid())"
        let personal = runtime + "/kioskguard/control.sock"
        return access(personal, F_OK) == 0 ? personal : system
    }
}
