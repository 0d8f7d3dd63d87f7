//! The cockpit's clock. `update` never reads a clock: the loop's ticks and the providers'
//! messages carry the time, read from here. In the demo it is the sim's clock, which runs
//! faster than the wall, so ages, countdowns and silences agree with the simulated world.

use std::time::Duration;

use chrono::{DateTime, Utc};

#[cfg(feature = "sim")]
use flightdeck_sim::SimClock;

#[derive(Debug, Clone)]
pub enum Clock {
    System,
    #[cfg(feature = "sim")]
    Sim(SimClock),
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            #[cfg(feature = "sim")]
            Clock::Sim(c) => c.now(),
        }
    }

    /// How long on the wall a span of this clock's time lasts. A source that re-reads every
    /// five minutes of clock time must do so every 30 s at ten times speed, or its age (read
    /// off this clock) would pass the five minutes after which it counts as stale. A frozen
    /// sim (speed 0) keeps the span as it is.
    pub fn wall(&self, span: Duration) -> Duration {
        match self {
            #[cfg(feature = "sim")]
            Clock::Sim(c) if c.speed() > 0.0 => span.div_f64(c.speed().max(1e-3)),
            _ => span,
        }
    }
}

#[cfg(all(test, feature = "sim"))]
mod tests {
    use super::*;

    #[test]
    fn a_span_of_sim_time_is_shorter_on_the_wall_by_the_speed() {
        let five_minutes = Duration::from_secs(300);
        assert_eq!(Clock::System.wall(five_minutes), five_minutes);
        assert_eq!(
            Clock::Sim(SimClock::new(10.0)).wall(five_minutes),
            Duration::from_secs(30)
        );
        assert_eq!(
            Clock::Sim(SimClock::new(0.0)).wall(five_minutes),
            five_minutes
        );
    }
}
