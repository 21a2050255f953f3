#if canImport(Glibc)
public import Glibc
#endif

/// Looks up users and groups in the system databases (NSS), as the configuration names them.
public enum Accounts {
    /// The uid of `name`, or `name` itself when it is a number.
    public static func uid(of name: String) -> uid_t? {
        if let number = UInt32(name) { return number }
        return withEntry(name, getpwnam_r) { (entry: passwd) in entry.pw_uid }
    }

    /// The gid of the group `name`, or `name` itself when it is a number.
    public static func gid(of name: String) -> gid_t? {
        if let number = UInt32(name) { return number }
        return withEntry(name, getgrnam_r) { (entry: group) in entry.gr_gid }
    }

    /// The user name of `uid`, for messages.
    public static func userName(of uid: uid_t) -> String? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return String(cString: entry.pw_name)
    }

    private static func withEntry<Entry, Value>(
        _ name: String,
        _ lookup: (UnsafePointer<CChar>, UnsafeMutablePointer<Entry>, UnsafeMutablePointer<CChar>, Int, UnsafeMutablePointer<UnsafeMutablePointer<Entry>?>) -> Int32,
        _ extract: (Entry) -> Value
    ) -> Value? {
        var buffer = [CChar](repeating: 0, count: 16_384)
        return withUnsafeTemporaryAllocation(of: Entry.self, capacity: 1) { entry -> Value? in
            var result: UnsafeMutablePointer<Entry>?
            let status = buffer.withUnsafeMutableBufferPointer { lookup(name, entry.baseAddress!, $0.baseAddress!, $0.count, &result) }
            guard status == 0, let result else { return nil }
            return extract(result.pointee)
        }
    }
}
