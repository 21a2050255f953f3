/// Reads fuzzer input as a sequence of choices; once the bytes run out every choice is zero, so
/// any input, however short, is a complete program.
struct ByteStream {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var isAtEnd: Bool { offset >= bytes.count }

    mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// A value in `0..<count`.
    mutating func choice(_ count: Int) -> Int { Int(byte()) % count }

    /// One of `options`.
    mutating func pick<T>(_ options: [T]) -> T { options[choice(options.count)] }

    /// Up to `limit` bytes, as many as the next byte says.
    mutating func chunk(upTo limit: Int) -> UnsafeRawBufferPointer {
        let wanted = min(Int(byte()) % (limit + 1), bytes.count - min(offset, bytes.count))
        defer { offset += wanted }
        return UnsafeRawBufferPointer(rebasing: bytes[min(offset, bytes.count)..<min(offset, bytes.count) + wanted])
    }
}
