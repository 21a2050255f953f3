// Input on a terminal's own devices (evdev), for terminals whose app cannot report activity.

extension SessionEngine {
    /// Someone used `terminal`'s keyboard, pointer or touch screen at `now`: activity for its
    /// open session while it is in use (a warning is cancelled). Input never unlocks a locked
    /// session; only a verification of the same person does.
    public mutating func inputActivity(on terminal: TerminalID, at now: Moment) -> [EngineAction] {
        var actions: [EngineAction] = []
        catchUp(terminal, at: now, into: &actions)
        if terminals[terminal.index].open?.isInUse == true {
            noteActivity(terminal, at: now, into: &actions)
        }
        ensureDeadline(terminal, at: now)
        return actions
    }
}
