//! A topic's levels, read without `str::split('/')`'s searcher.
//!
//! Every new topic is classified by a dozen rules that each look at its levels (schemas,
//! conventions, liveness, commands, descriptions). Topics are short, and the searcher behind
//! `split('/')` costs more to set up per level than a byte scan costs in all
//! (BENCHMARKS.md, "Ingest, round eleven"). `/` is ASCII, so every cut is a char boundary.

/// The levels of `topic`, as `topic.split('/')` gives them (`a//b` has an empty middle level).
pub fn levels(topic: &str) -> Levels<'_> {
    Levels { rest: Some(topic) }
}

/// The iterator [`levels`] returns.
#[derive(Debug, Clone)]
pub struct Levels<'a> {
    rest: Option<&'a str>,
}

impl<'a> Iterator for Levels<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        match rest.bytes().position(|b| b == b'/') {
            Some(i) => {
                self.rest = Some(&rest[i + 1..]);
                Some(&rest[..i])
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

/// The first level (`a` of `a/b/c`; the whole topic when it has one).
#[inline]
pub fn first(topic: &str) -> &str {
    match topic.bytes().position(|b| b == b'/') {
        Some(i) => &topic[..i],
        None => topic,
    }
}

/// The last level (`c` of `a/b/c`; the whole topic when it has one).
#[inline]
pub fn last(topic: &str) -> &str {
    match topic.bytes().rposition(|b| b == b'/') {
        Some(i) => &topic[i + 1..],
        None => topic,
    }
}

/// How many levels `topic` has (`a/b/c`: 3, `/a`: 2, ``: 1).
#[inline]
pub fn count(topic: &str) -> usize {
    topic.bytes().filter(|&b| b == b'/').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_levels_are_splits_at_every_slash() {
        for t in [
            "",
            "/",
            "a",
            "a/b/c",
            "/living_room/temperature/s1",
            "a//b/",
            "//",
            "zigbee2mqtt/Küche Sensor/°C",
        ] {
            let want: Vec<&str> = t.split('/').collect();
            assert_eq!(levels(t).collect::<Vec<_>>(), want, "{t:?}");
            assert_eq!(count(t), want.len(), "{t:?}");
            assert_eq!(first(t), want[0], "{t:?}");
            assert_eq!(last(t), *want.last().unwrap(), "{t:?}");
        }
    }
}
