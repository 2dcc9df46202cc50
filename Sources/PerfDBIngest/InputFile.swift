internal import CZlib
import Foundation
import PerfDBModel

#if canImport(Glibc)
    import Glibc
#endif

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

    /// Reads `path` (or standard input for `-`).
    public static func read(_ path: String) throws -> InputFile {
        if path == "-" {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            return try InputFile(name: "-", bytes: [UInt8](data))
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw PerfDBError(.inputNotFound, "\(path): no such file")
        }
        if isDirectory.boolValue {
            throw PerfDBError(.inputNotFound, "\(path): is a directory, not a results file")
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw PerfDBError(.inputNotFound, "\(path): permission denied")
        }
        // Read with read(2): Foundation's whole-file read leaks its buffer for an empty file.
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw PerfDBError(.io, "\(path): cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var block = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let got = block.withUnsafeMutableBytes {
                Glibc.read(descriptor, $0.baseAddress, $0.count)
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw PerfDBError(.io, "\(path): cannot read: \(String(cString: strerror(errno)))")
            }
            if got == 0 { break }
            bytes.append(contentsOf: block[0..<got])
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        return try InputFile(
            name: path, bytes: bytes, modifiedAt: attributes?[.modificationDate] as? Date)
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
