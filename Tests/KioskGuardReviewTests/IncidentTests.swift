import KioskGuardReview
import Testing

private let day: UInt64 = 86_400_000_000
private let start: UInt64 = 1_725_148_800_000_000  // 2024-09-01T00:00:00Z

private func anomaly(_ time: UInt64, _ kind: String, host: String = "kiosk-a", subject: String? = nil, account: String? = nil,
                     others: [String] = []) -> ReviewEntry {
    var entry = ReviewEntry(time: time, host: host, event: "anomaly", terminal: "counter-1", subject: subject, account: account, anomaly: kind,
                            detectedAt: time)
    entry.otherSubjects = others
    return entry
}

@Suite("Incidents")
struct IncidentTests {
    @Test("detections join by account, by a shared subject, and by kind within 7 days; guard failures are no incident")
    func grouping() {
        var finder = IncidentFinder()
        finder.add(anomaly(start, "handover.card-swap", subject: "p:a", others: ["p:b"]))
        finder.add(anomaly(start + 1 * day, "client.lost"))
        finder.add(anomaly(start + 2 * day, "handover.unclosed-session", host: "kiosk-b", subject: "p:b", others: ["p:c"]))
        finder.add(anomaly(start + 6 * day, "handover.card-swap", host: "kiosk-c", subject: "p:x", others: ["p:y"]))
        finder.add(anomaly(start + 30 * day, "handover.card-swap", subject: "p:q", others: ["p:r"]))
        finder.add(anomaly(start + 40 * day, "step.on-inactive-session", subject: "p:s"))
        finder.add(anomaly(start + 90 * day, "account.multiple-subjects", subject: "p:t", account: "p:acct"))
        finder.add(anomaly(start + 120 * day, "account.multiple-subjects", host: "kiosk-b", subject: "p:u", account: "p:acct"))
        let incidents = finder.incidents(asOf: CalendarDay(localTimeOf: start + 200 * day))
        #expect(incidents.map(\.hosts) == [["kiosk-a", "kiosk-b", "kiosk-c"], ["kiosk-a"], ["kiosk-a"], ["kiosk-a", "kiosk-b"]])
        #expect(incidents.map(\.number) == [1, 2, 3, 4])
        #expect(incidents[0].kinds == ["handover.card-swap", "handover.unclosed-session"])
        #expect(incidents[0].subjects == ["p:a", "p:b", "p:c", "p:x", "p:y"])
        #expect(incidents[1].timeline.count == 1, "30 days after the last card swap is another incident")
        #expect(incidents[3].firstDetection == start + 90 * day && incidents[3].subjects == ["p:t", "p:u"])
    }

    @Test("an account registered by a second person is found at that registration, on the host it was made on")
    func accountAcrossHosts() {
        var finder = IncidentFinder()
        let register = { (time: UInt64, host: String, subject: String) in
            ReviewEntry(time: time, host: host, event: "step-done", terminal: "counter-1", session: "s", subject: subject, account: "p:acct")
        }
        finder.add(register(start, "kiosk-a", "p:a"))
        finder.add(register(start + day, "kiosk-a", "p:a"))
        #expect(finder.incidents(asOf: CalendarDay(daysSinceEpoch: 0)).isEmpty, "one person registering twice is no incident")
        finder.add(register(start + 31 * day, "kiosk-b", "p:b"))
        let incidents = finder.incidents(asOf: CalendarDay(localTimeOf: start + 31 * day))
        #expect(incidents.count == 1)
        #expect(incidents[0].firstDetection == start + 31 * day && incidents[0].firstHost == "kiosk-b")
        #expect(incidents[0].timeline.map(\.step) == [.registration, .registration, .foundByReview])
        #expect(incidents[0].deadlines.map(\.daysLeft) == [3, 5, 30, 60])
    }

    @Test("a huge incident keeps its first 1,000 timeline lines and counts the rest, and every person")
    func longTimeline() {
        var finder = IncidentFinder()
        for index in 0..<1500 { finder.add(anomaly(start + UInt64(index) * 1_000_000, "handover.card-swap", subject: "p:\(index)")) }
        let incidents = finder.incidents(asOf: CalendarDay(localTimeOf: start))
        #expect(incidents.count == 1)
        #expect(incidents[0].timeline.count == IncidentFinder.timelineLimit && incidents[0].timelineOmitted == 500)
        #expect(incidents[0].subjects.count == 1500 && incidents[0].timeline.last?.time == start + 999 * 1_000_000)
        #expect(incidents[0].markdown.contains("500 later lines are left out"))
    }

    @Test("the review does not repeat a registration the host's daemon already raised")
    func echo() {
        var finder = IncidentFinder()
        finder.add(ReviewEntry(time: start, host: "kiosk-a", event: "step-done", subject: "p:a", account: "p:acct"))
        finder.add(anomaly(start + day, "account.multiple-subjects", subject: "p:b", account: "p:acct", others: ["p:a"]))
        finder.add(ReviewEntry(time: start + day + 2, host: "kiosk-a", event: "step-done", subject: "p:b", account: "p:acct"))
        let steps = finder.incidents(asOf: CalendarDay(localTimeOf: start)).flatMap { $0.timeline.map(\.step) }
        #expect(steps == [.registration, .detected, .registration])
    }

    @Test("an alert joins its detection by host, kind and detection time; an undelivered one says so")
    func alerts() {
        var finder = IncidentFinder()
        finder.add(anomaly(start, "handover.card-swap", subject: "p:a"))
        finder.add(anomaly(start + 5, "handover.card-swap", host: "kiosk-b", subject: "p:b"))
        for (id, host, detected) in [("one", "kiosk-a", start), ("two", "kiosk-b", start + 5)] {
            finder.add(ReviewEntry(time: detected + 10, host: host, event: "alert-queued", anomaly: "handover.card-swap", detectedAt: detected, alertID: id))
        }
        finder.add(ReviewEntry(time: start + 70_000_000, host: "kiosk-a", event: "alert-delivered", alertID: "one", endpoint: "hotline"))
        finder.add(ReviewEntry(time: start + 80_000_000, host: "kiosk-a", event: "alert-delivered", alertID: "one", endpoint: "hotline"))
        let incident = finder.incidents(asOf: CalendarDay(localTimeOf: start))[0]
        #expect((incident.alertsQueued, incident.alertsDelivered) == (2, 1))
        let alertLines = incident.timeline.filter { $0.step == .alertDelivered || $0.step == .alertUndelivered }
        #expect(alertLines.map(\.step) == [.alertUndelivered, .alertDelivered])
        #expect(alertLines.last?.delay == 70_000_000, "the first delivery counts, a redelivery adds nothing")
    }

    @Test("the reporting clock: 3 and 5 days, 30 and 60, ahead through the due day and overdue after")
    func clock() {
        let detected = CalendarDay(year: 2024, month: 2, day: 27)!
        let deadlines = ReportingClock(countedFrom: detected, asOf: CalendarDay(year: 2024, month: 3, day: 1)!).deadlines
        #expect(deadlines.map(\.due.description) == ["2024-03-01", "2024-03-03", "2024-03-28", "2024-04-27"], "2024 is a leap year")
        #expect(deadlines.map(\.status) == [.ahead, .ahead, .ahead, .ahead] && deadlines[0].daysLeft == 0)
        let later = ReportingClock(countedFrom: detected, asOf: CalendarDay(year: 2024, month: 3, day: 2)!).deadlines
        #expect(later.map(\.status) == [.overdue, .ahead, .ahead, .ahead])
    }
}

@Suite("HTML report")
struct HTMLReportTests {
    @Test("10,000 terminals draw as the 15 busiest and one 'others' row, with the others' sums")
    func manyTerminals() {
        var report = DailyReport()
        for number in 0..<10_000 {
            let terminal = "counter-\(number)"
            for index in 0..<(number < 15 ? 3 : 1) {
                report.add(ReviewEntry(time: start + UInt64(index), host: "kiosk", event: "session-begun", terminal: terminal))
                report.add(ReviewEntry(time: start + UInt64(index) + 1, host: "kiosk", event: "session-ended", terminal: terminal,
                                       reason: number % 2 == 0 ? "abandoned" : "logout"))
            }
        }
        let html = report.html(generatedAt: start)
        #expect(html.ranges(of: "<g class=\"terminal\"").count == 16)
        #expect(html.contains("others (9985 terminals)"))
        #expect(html.contains("data-others=\"9985\" data-ended=\"9985\" data-abandoned=\"4992\""))
        #expect(!html.contains("<script") && !html.contains("src="))
    }

    @Test("journal text is escaped: a terminal name cannot add markup")
    func escaping() {
        var report = DailyReport()
        report.add(ReviewEntry(time: start, host: "kiosk", event: "session-begun", terminal: "<img src=x onerror=alert(1)>\u{1b}[2J"))
        let html = report.html(generatedAt: start)
        #expect(!html.contains("<img") && html.contains("&lt;img src=x onerror=alert(1)&gt;\\x1b[2J"))
    }
}
