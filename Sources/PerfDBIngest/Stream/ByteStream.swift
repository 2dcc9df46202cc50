internal import CZlib
import Foundation
import PerfDBModel

#if canImport(Glibc)
    import Glibc
#endif

/// The decompressed bytes of a file or standard input, read sequentially in blocks: gzip is
/// recognised by its magic bytes and inflated on the fly, so memory does not grow with the
/// input.
final class ByteStream {
    /// The name used in messages.
    let name: String
    /// The input's size on disk, when known (for progress).
    let size: Int?
    /// Bytes consumed from the input so far (compressed bytes for gzip).
    private(set) var consumed = 0
    /// True when the input is gzip.
    private(set) var isCompressed = false
    /// The modification time of a file.
    let modifiedAt: Date?

    private let descriptor: Int32
    private let ownsDescriptor: Bool
    /// zlib keeps a pointer to its stream: it must not move.
    private var inflater: UnsafeMutablePointer<z_stream>?
    private var compressed: UnsafeMutablePointer<UInt8>
    private let compressedCapacity = 1 << 20
    private var compressedCount = 0
    private var compressedOffset = 0
    private var inputEnded = false
    private var memberEnded = false
    private var peeked: [UInt8] = []

    /// Opens `path` (`-` for standard input).
    init(path: String) throws {
        name = path
        compressed = .allocate(capacity: compressedCapacity)
        if path == "-" {
            descriptor = 0
            ownsDescriptor = false
            size = nil
            modifiedAt = nil
        } else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                compressed.deallocate()
                throw PerfDBError(.inputNotFound, "\(path): no such file")
            }
            if isDirectory.boolValue {
                compressed.deallocate()
                throw PerfDBError(.inputNotFound, "\(path): is a directory, not a results file")
            }
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else {
                compressed.deallocate()
                throw PerfDBError(
                    .inputNotFound, "\(path): cannot open: \(String(cString: strerror(errno)))")
            }
            descriptor = fd
            ownsDescriptor = true
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            size = (attributes?[.size] as? NSNumber)?.intValue
            modifiedAt = attributes?[.modificationDate] as? Date
        }
        // Look at the first bytes for gzip's magic.
        try fillCompressed()
        if compressedCount - compressedOffset >= 2 && compressed[0] == 0x1f && compressed[1] == 0x8b
        {
            isCompressed = true
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            guard
                inflateInit2_(stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
                    == Z_OK
            else {
                stream.deallocate()
                throw PerfDBError(.internal, "\(path): cannot initialise zlib")
            }
            inflater = stream
        }
    }

    deinit {
        if let stream = inflater {
            inflateEnd(stream)
            stream.deallocate()
        }
        compressed.deallocate()
        if ownsDescriptor { close(descriptor) }
    }

    private func fillCompressed() throws {
        if compressedOffset > 0 && compressedOffset < compressedCount {
            memmove(compressed, compressed + compressedOffset, compressedCount - compressedOffset)
        }
        compressedCount -= compressedOffset
        compressedOffset = 0
        while compressedCount < compressedCapacity && !inputEnded {
            let got = Glibc.read(
                descriptor, compressed + compressedCount, compressedCapacity - compressedCount)
            if got < 0 {
                if errno == EINTR { continue }
                throw PerfDBError(.io, "\(name): read error: \(String(cString: strerror(errno)))")
            }
            if got == 0 {
                inputEnded = true
                break
            }
            compressedCount += got
            consumed += got
            if compressedCount >= compressedCapacity / 2 { break }
        }
    }

    /// Every decompressed byte not read yet.
    func readToEnd() throws -> [UInt8] {
        var bytes: [UInt8] = []
        var block = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let got = try block.withUnsafeMutableBufferPointer { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return try read(into: base, capacity: buffer.count)
            }
            if got == 0 { return bytes }
            bytes.append(contentsOf: block[0..<got])
        }
    }

    /// Reads up to `capacity` decompressed bytes into `buffer`; 0 at the end.
    func read(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) throws -> Int {
        guard isCompressed else {
            // Serve what the gzip check already read, then read directly.
            if compressedOffset < compressedCount {
                let take = min(capacity, compressedCount - compressedOffset)
                memcpy(buffer, compressed + compressedOffset, take)
                compressedOffset += take
                return take
            }
            if inputEnded { return 0 }
            while true {
                let got = Glibc.read(descriptor, buffer, capacity)
                if got < 0 {
                    if errno == EINTR { continue }
                    throw PerfDBError(
                        .io, "\(name): read error: \(String(cString: strerror(errno)))")
                }
                if got == 0 { inputEnded = true }
                consumed += got
                return got
            }
        }
        guard let stream = inflater else { return 0 }
        var produced = 0
        while produced < capacity {
            if compressedOffset >= compressedCount {
                if inputEnded {
                    if !memberEnded {
                        throw PerfDBError.badInput(
                            name, "gzip stream cut short (truncated after \(consumed) bytes)")
                    }
                    return produced
                }
                try fillCompressed()
                if compressedCount == 0 && inputEnded {
                    if !memberEnded {
                        throw PerfDBError.badInput(
                            name, "gzip stream cut short (truncated after \(consumed) bytes)")
                    }
                    return produced
                }
                continue
            }
            if memberEnded {
                // Another member follows (as `cat a.gz b.gz` makes).
                guard inflateReset(stream) == Z_OK else {
                    throw PerfDBError.badInput(name, "corrupt gzip data between members")
                }
                memberEnded = false
            }
            stream.pointee.next_in = compressed + compressedOffset
            stream.pointee.avail_in = UInt32(compressedCount - compressedOffset)
            stream.pointee.next_out = buffer + produced
            stream.pointee.avail_out = UInt32(capacity - produced)
            let status = inflate(stream, Z_NO_FLUSH)
            let used = (compressedCount - compressedOffset) - Int(stream.pointee.avail_in)
            compressedOffset += used
            produced = capacity - Int(stream.pointee.avail_out)
            switch status {
            case Z_STREAM_END:
                memberEnded = true
            case Z_OK, Z_BUF_ERROR:
                break
            default:
                let reason = stream.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
                throw PerfDBError.badInput(name, "corrupt gzip data: \(reason)")
            }
        }
        return produced
    }
}
