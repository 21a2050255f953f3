/// Finds a value by its wire name given as UTF-8 bytes, without making a `String`.
struct NameTable<Value>: Sendable where Value: Sendable {
    private let entries: [(name: [UInt8], value: Value)]

    /// A table of the values under their names.
    init(_ values: some Sequence<Value>, name: (Value) -> String) {
        entries = values.map { (Array(name($0).utf8), $0) }
    }

    /// The value named `bytes`, if any.
    func value(named bytes: UnsafeRawBufferPointer) -> Value? {
        entries.first { $0.name.count == bytes.count && $0.name.elementsEqual(bytes) }?.value
    }
}
