//! The cockpit's clock. `update` never reads a clock: the loop's ticks and the providers'
//! messages carry the time, read from here. It is the wall clock, the demo's too (the sim
//! serves wall times); a scaled clock exists only so a bench can compress an hour of polling.

use std::time::Duration;

use chrono::{DateTime, Utc};

#[cfg(feature = "sim")]
use flightdeck_sim::SimClock;

#[derive(Debug, Clone)]
pub enum Clock {
    System,
    /// Runs `speed` times faster than the wall, from when it was made.
    #[cfg(feature = "sim")]
    Scaled(SimClock),
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            #[cfg(feature = "sim")]
            Clock::Scaled(c) => c.story_now(),
        }
    }

    /// How long on the wall a span of this clock's time lasts. A source that re-reads every
    /// five minutes of clock time must do so every 30 s at ten times speed, or its age (read
    /// off this clock) would pass the five minutes after which it counts as stale. A frozen
    /// clock (speed 0) keeps the span as it is.
    pub fn wall(&self, span: Duration) -> Duration {
        match self {
            #[cfg(feature = "sim")]
            Clock::Scaled(c) if c.speed() > 0.0 => span.div_f64(c.speed().max(1e-3)),
            _ => span,
        }
    }
}

#[cfg(all(test, feature = "sim"))]
mod tests {
    use super::*;

    #[test]
    fn a_span_of_scaled_time_is_shorter_on_the_wall_by_the_speed() {
        let five_minutes = Duration::from_secs(300);
        assert_eq!(Clock::System.wall(five_minutes), five_minutes);
        assert_eq!(
            Clock::Scaled(SimClock::new(10.0)).wall(five_minutes),
            Duration::from_secs(30)
        );
        assert_eq!(
            Clock::Scaled(SimClock::new(0.0)).wall(five_minutes),
            five_minutes
        );
    }
}
