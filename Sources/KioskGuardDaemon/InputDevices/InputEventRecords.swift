import CKioskGuardShims

/// The evdev records read from an input device, looked at for one thing only: whether a person
/// did something (a key, a pointer motion, a touch). Key codes, positions and timing are never
/// kept: the bytes are dropped as soon as this has looked at their type.
enum InputEventRecords {
    /// The size of one `struct input_event`.
    static let size = MemoryLayout<input_event>.size
    /// Where a record's `type` lies.
    static let typeOffset = MemoryLayout<input_event>.offset(of: \input_event.type)!
    /// The event types a person makes: keys and buttons, relative motion (a mouse, a wheel),
    /// absolute motion (a touch screen). Synchronisation, LEDs and the rest are not activity.
    static let activityTypes: Set<UInt16> = [UInt16(EV_KEY), UInt16(EV_REL), UInt16(EV_ABS)]

    /// Whether any whole record in `bytes` is a person's input.
    static func containActivity(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset + size <= bytes.count {
            let type = bytes.loadUnaligned(fromByteOffset: offset + typeOffset, as: UInt16.self)
            if activityTypes.contains(type) { return true }
            offset += size
        }
        return false
    }
}
