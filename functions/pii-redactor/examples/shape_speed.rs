//! Times the candidate regex alone, per shape and combined (diagnostics).
use regex_automata::meta::Regex;
use regex_automata::util::syntax;
use regex_automata::{Input, MatchKind};
fn main() {
    let text = std::fs::read(std::env::args().nth(1).unwrap()).unwrap();
    let r = pii_redactor::Redactor::new(&pii_redactor::Config::default()).unwrap();
    let pats = r.patterns();
    let build = |p: &[String]| {
        Regex::builder()
            .configure(Regex::config().match_kind(MatchKind::LeftmostFirst).utf8_empty(false))
            .syntax(syntax::Config::new().unicode(false).utf8(false))
            .build_many(p)
            .unwrap()
    };
    let run = |re: &Regex| {
        let t = std::time::Instant::now();
        let mut n = 0;
        let mut at = 0;
        let mut cache = re.create_cache();
        while let Some(m) = re.search_with(&mut cache, &Input::new(&text).range(at..)) {
            n += 1;
            at = m.start() + 1;
        }
        (n, t.elapsed().as_secs_f64())
    };
    for p in pats.iter().take(0) {
        let (n, s) = run(&build(std::slice::from_ref(p)));
        println!("{:8} {:7.1} MB/s  {}", n, text.len() as f64 / s / 1e6, &p[..p.len().min(60)]);
    }
    let (n, s) = run(&build(&pats));
    println!("{:8} {:7.1} MB/s  ALL", n, text.len() as f64 / s / 1e6);
    for i in 0..pats.len() {
        let mut p = pats.clone();
        p.remove(i);
        let (n, s) = run(&build(&p));
        println!("{:8} {:7.1} MB/s  ALL without {}", n, text.len() as f64 / s / 1e6, &pats[i][..pats[i].len().min(40)]);
    }
    let t = std::time::Instant::now();
    let f = r.find(&text);
    println!("{:8} {:7.1} MB/s  find()", f.len(), text.len() as f64 / t.elapsed().as_secs_f64() / 1e6);
}
