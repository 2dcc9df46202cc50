internal import CZlib
import Foundation
import PerfDBModel

/// The bytes of one input file (or standard input), gunzipped when they start with gzip's
/// magic bytes, whatever the file is called.
public struct InputFile: Sendable {
    /// The name used in messages: the path as given, or `-` for standard input.
    public let name: String
    /// The content, decompressed.
    public let bytes: [UInt8]
    /// True when the input was gzip-compressed.
    public let wasCompressed: Bool
    /// The file's modification time, when it is a file.
    public let modifiedAt: Date?

    /// Creates an input from bytes already in memory (for tests and standard input).
    public init(name: String, bytes: [UInt8], modifiedAt: Date? = nil) throws {
        self.name = name
        self.modifiedAt = modifiedAt
        if bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b {
            self.bytes = try Gunzip.decompress(bytes, name: name)
            self.wasCompressed = true
        } else {
            self.bytes = bytes
            self.wasCompressed = false
        }
    }

    /// Bytes already decompressed (by ``ByteStream``).
    init(name: String, decompressed: [UInt8], wasCompressed: Bool, modifiedAt: Date?) {
        self.name = name
        self.bytes = decompressed
        self.wasCompressed = wasCompressed
        self.modifiedAt = modifiedAt
    }

    /// Reads `path` (or standard input for `-`) whole, as ``ByteStream`` reads any input.
    public static func read(_ path: String) throws -> InputFile {
        let stream = try ByteStream(path: path)
        return InputFile(
            name: path, decompressed: try stream.readToEnd(), wasCompressed: stream.isCompressed,
            modifiedAt: stream.modifiedAt)
    }
}

/// Inflates gzip data (one or more concatenated members) with the system zlib.
enum Gunzip {
    static func decompress(_ input: [UInt8], name: String) throws -> [UInt8] {
        var stream = z_stream()
        // 15 window bits + 16: expect a gzip header.
        guard
            inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
                == Z_OK
        else {
            throw PerfDBError(.internal, "\(name): cannot initialise zlib")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        output.reserveCapacity(input.count * 4)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var consumed = 0
        try input.withUnsafeBufferPointer { source in
            guard let base = source.baseAddress else { return }
            stream.next_in = UnsafeMutablePointer(mutating: base)
            stream.avail_in = UInt32(source.count)
            while true {
                let status: Int32 = chunk.withUnsafeMutableBufferPointer { buffer in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = UInt32(buffer.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                output.append(contentsOf: chunk[0..<produced])
                switch status {
                case Z_STREAM_END:
                    consumed = source.count - Int(stream.avail_in)
                    if stream.avail_in == 0 { return }
                    // Another gzip member follows (as `cat a.gz b.gz` makes).
                    guard inflateReset(&stream) == Z_OK else {
                        throw PerfDBError.badInput(name, "corrupt gzip data after byte \(consumed)")
                    }
                case Z_OK:
                    if stream.avail_in == 0 && produced == 0 {
                        throw PerfDBError.badInput(
                            name, "gzip stream cut short (truncated after \(input.count) bytes)")
                    }
                case Z_BUF_ERROR:
                    throw PerfDBError.badInput(
                        name, "gzip stream cut short (truncated after \(input.count) bytes)")
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    throw PerfDBError.badInput(name, "corrupt gzip data: \(reason)")
                }
            }
        }
        return output
    }
}
