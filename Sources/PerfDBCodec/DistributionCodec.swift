internal import CZlib
import Foundation
import PerfDBModel

/// The stored form of a distribution, encoding `hdr-ns-v1`: zlib-compressed varints of
/// (bucket index delta, count) in ``HistogramLayout``'s buckets (docs/schema.md).
public enum DistributionCodec {
    /// The name stored in `distribution.encoding`.
    public static let encoding = "hdr-ns-v1"

    /// The stored bytes of `buckets`.
    public static func encode(_ buckets: DistributionBuckets) -> [UInt8] {
        var raw: [UInt8] = []
        var previous = 0
        for bucket in buckets.buckets {
            appendVarint(UInt64(bucket.index - previous), to: &raw)
            appendVarint(bucket.count, to: &raw)
            previous = bucket.index
        }
        var size = compressBound(uLong(raw.count))
        var out = [UInt8](repeating: 0, count: Int(size))
        let status = out.withUnsafeMutableBufferPointer { destination in
            raw.withUnsafeBufferPointer { source in
                compress2(
                    destination.baseAddress, &size, source.baseAddress, uLong(source.count), 1)
            }
        }
        guard status == Z_OK else { return [] }
        return Array(out.prefix(Int(size)))
    }

    /// The buckets of stored bytes holding `count` values.
    public static func decode(_ data: [UInt8], count: Int) throws -> DistributionBuckets {
        var capacity = max(64, data.count * 8)
        var raw: [UInt8] = []
        while true {
            var size = uLong(capacity)
            var buffer = [UInt8](repeating: 0, count: capacity)
            let status = buffer.withUnsafeMutableBufferPointer { destination in
                data.withUnsafeBufferPointer { source in
                    uncompress(
                        destination.baseAddress, &size, source.baseAddress, uLong(source.count))
                }
            }
            if status == Z_BUF_ERROR && capacity < 1 << 28 {
                capacity *= 4
                continue
            }
            guard status == Z_OK else {
                throw PerfDBError(.io, "a stored distribution is corrupt (zlib status \(status))")
            }
            raw = Array(buffer.prefix(Int(size)))
            break
        }
        var buckets = DistributionBuckets()
        var position = 0
        var index = 0
        while position < raw.count {
            guard let delta = readVarint(raw, &position),
                let bucketCount = readVarint(raw, &position),
                delta > 0 || buckets.buckets.isEmpty
            else {
                throw PerfDBError(.io, "a stored distribution is corrupt (truncated varint)")
            }
            index += Int(delta)
            buckets.append(index: index, count: bucketCount)
        }
        guard buckets.count == UInt64(count) else {
            throw PerfDBError(
                .io, "a stored distribution is corrupt (\(buckets.count) of \(count) values)")
        }
        return buckets
    }

    private static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var rest = value
        while rest >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        out.append(UInt8(rest))
    }

    private static func readVarint(_ bytes: [UInt8], _ index: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count && shift < 64 {
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
        return nil
    }
}
