import PerfDBModel

/// The histogram perfdb records raw samples into while streaming: HdrHistogram's log-linear layout
/// at 3 significant digits (2048 linear sub-buckets per power of two, so every bucket is at most
/// 1/1024 of its value wide), with counts in 4 KB pages allocated on first use, so a series that
/// spans two octaves costs a few pages instead of the whole range.
///
/// Values are non-negative integers (ns), in ``HistogramLayout``; what a run stores is its
/// ``DistributionBuckets``.
final class PagedHistogram {
    private static let pageShift = 10
    private static let pageSize = 1 << pageShift
    private var pages: [UnsafeMutablePointer<UInt32>?] = []
    private(set) var totalCount = 0

    init() {}

    deinit {
        for page in pages { page?.deallocate() }
    }

    /// The counts of page `page`, allocated (zeroed) on first use.
    @inline(__always)
    private func storage(page: Int) -> UnsafeMutablePointer<UInt32> {
        if page >= pages.count {
            pages.append(
                contentsOf: [UnsafeMutablePointer<UInt32>?](
                    repeating: nil, count: page + 1 - pages.count))
        }
        if let existing = pages[page] { return existing }
        let created = UnsafeMutablePointer<UInt32>.allocate(capacity: Self.pageSize)
        created.initialize(repeating: 0, count: Self.pageSize)
        pages[page] = created
        return created
    }

    @inline(__always)
    func record(_ value: UInt64, count: Int = 1) {
        let index = HistogramLayout.index(value)
        storage(page: index >> Self.pageShift)[index & (Self.pageSize - 1)] &+=
            UInt32(truncatingIfNeeded: count)
        totalCount += count
    }

    /// Adds another histogram's counts, page by page.
    func merge(_ other: PagedHistogram) {
        for (page, theirs) in other.pages.enumerated() {
            guard let theirs else { continue }
            let mine = storage(page: page)
            for offset in 0..<Self.pageSize { mine[offset] &+= theirs[offset] }
        }
        totalCount += other.totalCount
    }

    /// Calls `body` with each non-empty bucket's index and count, in ascending order.
    func forEachBucket(_ body: (Int, Int) -> Void) {
        for (page, storage) in pages.enumerated() {
            guard let storage else { continue }
            for offset in 0..<Self.pageSize where storage[offset] != 0 {
                body(page << Self.pageShift | offset, Int(storage[offset]))
            }
        }
    }

    /// Quantiles (0…1) interpolated between closest ranks (rank = p × (n − 1)), each rank
    /// taking its bucket's middle value; all in one pass.
    func quantiles(_ levels: [Double]) -> [Double?] {
        guard totalCount > 0 else { return levels.map { _ in nil } }
        let targets = levels.map { min(max($0, 0), 1) * Double(totalCount - 1) }
        var wanted: [(rank: Int, slot: Int, lower: Bool)] = []
        for (slot, rank) in targets.enumerated() {
            let lower = Int(rank.rounded(.down))
            wanted.append((lower, slot, true))
            wanted.append((min(lower + 1, totalCount - 1), slot, false))
        }
        wanted.sort { $0.rank < $1.rank }
        var lowerValues = [Double](repeating: 0, count: levels.count)
        var upperValues = [Double](repeating: 0, count: levels.count)
        var next = 0
        var seen = 0
        forEachBucket { index, count in
            guard next < wanted.count else { return }
            let end = seen + count
            while next < wanted.count && wanted[next].rank < end {
                let value = HistogramLayout.middle(index)
                if wanted[next].lower {
                    lowerValues[wanted[next].slot] = value
                } else {
                    upperValues[wanted[next].slot] = value
                }
                next += 1
            }
            seen = end
        }
        return targets.enumerated().map { slot, rank in
            let fraction = rank - rank.rounded(.down)
            return lowerValues[slot] + (upperValues[slot] - lowerValues[slot]) * fraction
        }
    }

    /// The non-empty buckets, as a run stores its distribution.
    func buckets() -> DistributionBuckets {
        var buckets = DistributionBuckets()
        forEachBucket { index, count in buckets.append(index: index, count: UInt64(count)) }
        return buckets
    }
}
