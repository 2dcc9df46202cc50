import Testing

@testable import perfdb

/// `check` stores its verdicts on another thread while it prints the report.
@Suite struct BackgroundTests {
    final class Held: Sendable {}

    /// What the work holds is let go before `wait` returns: the warehouse a check's recording
    /// holds is released, and its file closed, by the command before perfdb exits, never by
    /// the other thread while perfdb is exiting (which left the file's write-ahead log behind).
    @Test func whatTheWorkHoldsIsLetGoBeforeWaitReturns() throws {
        for _ in 0..<500 {
            weak var released: Held?
            let background: Background
            do {
                let held = Held()
                released = held
                background = Background { _ = held }
            }
            try background.wait()
            #expect(released == nil)
        }
    }

    @Test func waitRethrowsWhatTheWorkThrew() {
        struct Failure: Error {}
        let background = Background { throw Failure() }
        #expect(throws: Failure.self) { try background.wait() }
        #expect(throws: Failure.self) { try background.wait() }
    }
}
