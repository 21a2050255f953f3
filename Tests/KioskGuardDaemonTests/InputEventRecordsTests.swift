@testable import KioskGuardDaemon
import Testing

/// `struct input_event` records as the kernel writes them on x86_64: a timeval, then type, code, value.
private func records(_ events: [(type: UInt16, code: UInt16, value: Int32)]) -> [UInt8] {
    events.flatMap { event -> [UInt8] in
        var bytes = [UInt8](repeating: 0, count: InputEventRecords.size)
        bytes.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: Int64(1_700_000_000), toByteOffset: 0, as: Int64.self)
            raw.storeBytes(of: event.type, toByteOffset: InputEventRecords.typeOffset, as: UInt16.self)
            raw.storeBytes(of: event.code, toByteOffset: InputEventRecords.typeOffset + 2, as: UInt16.self)
            raw.storeBytes(of: event.value, toByteOffset: InputEventRecords.typeOffset + 4, as: Int32.self)
        }
        return bytes
    }
}

@Suite("evdev records: only whether a person did something")
struct InputEventRecordsTests {
    @Test("a record is 24 bytes with its type after the timeval, as linux/input.h has it on 64-bit")
    func layout() {
        #expect(InputEventRecords.size == 24 && InputEventRecords.typeOffset == 16)
    }

    @Test("keys, pointer motion and touches are a person's input; synchronisation, scan codes and LEDs are not",
          arguments: [(UInt16(1), true), (2, true), (3, true), (0, false), (4, false), (17, false)])
    func types(type: UInt16, isActivity: Bool) {
        let bytes = records([(0, 0, 0), (type, 30, 1), (0, 0, 0)])
        #expect(bytes.withUnsafeBytes { InputEventRecords.containActivity($0) } == isActivity)
    }

    @Test("a partial record at the end is not read")
    func partial() {
        let bytes = records([(0, 0, 0)]) + records([(1, 30, 1)]).prefix(20)
        #expect(!bytes.withUnsafeBytes { InputEventRecords.containActivity($0) })
    }
}
