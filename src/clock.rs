//! The cockpit's clock. `update` never reads a clock: the loop's ticks and the providers'
//! messages carry the time, read from here. In the demo it is the sim's clock, which runs
//! faster than the wall, so ages, countdowns and silences agree with the simulated world.

use chrono::{DateTime, Utc};

use crate::sim::SimClock;

#[derive(Debug, Clone)]
pub enum Clock {
    System,
    Sim(SimClock),
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Sim(c) => c.now(),
        }
    }
}
