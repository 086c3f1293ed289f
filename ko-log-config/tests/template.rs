//! The `format` template: compiled pieces and located refusals.

use ko_log_config::template::{Align, FieldRef, Piece, Placeholder};
use ko_log_config::Template;

fn field(field: FieldRef, width: Option<usize>, align: Align) -> Piece {
    Piece::Field(Placeholder::new(field, width, align))
}

fn literal(text: &str) -> Piece {
    Piece::Literal(text.to_owned())
}

#[test]
fn the_default_template_compiles() {
    let template = Template::default();
    assert_eq!(template.source(), Template::DEFAULT);
    assert_eq!(
        template.pieces(),
        [
            field(FieldRef::Time, None, Align::Left),
            literal(" "),
            field(FieldRef::Level, Some(5), Align::Left),
            literal(" ["),
            field(FieldRef::Target, None, Align::Left),
            literal("] "),
            field(FieldRef::Message, None, Align::Left),
            field(FieldRef::Kv, None, Align::Left),
        ]
    );
}

#[test]
fn every_name_alignment_and_escape() {
    let template =
        Template::parse("{{{module}}} {file}:{line:>4} {thread:^10} {user_id:3} {a.b-c}}}")
            .unwrap();
    assert_eq!(
        template.pieces(),
        [
            literal("{"),
            field(FieldRef::Module, None, Align::Left),
            literal("} "),
            field(FieldRef::File, None, Align::Left),
            literal(":"),
            field(FieldRef::Line, Some(4), Align::Right),
            literal(" "),
            field(FieldRef::Thread, Some(10), Align::Center),
            literal(" "),
            field(FieldRef::Key("user_id".to_owned()), Some(3), Align::Left),
            literal(" "),
            field(FieldRef::Key("a.b-c".to_owned()), None, Align::Left),
            literal("}"),
        ]
    );
    assert!(template.names_key("user_id"));
    assert!(!template.names_key("line"));
    assert_eq!(Template::parse("").unwrap().pieces(), []);
}

#[test]
fn refusals_carry_the_offset() {
    let cases = [
        ("{time} {level", 7, "unclosed"),
        ("{time {level}", 0, "unclosed"),
        ("a } b", 2, "unmatched `}`"),
        ("{}", 1, "empty placeholder name"),
        ("{:<5}", 1, "empty placeholder name"),
        ("{lev el}", 4, "invalid character"),
        ("{level:}", 7, "empty format spec"),
        ("{level:<}", 8, "expected a width"),
        ("{level:<8x}", 9, "unknown format spec character `x`"),
        ("{level:=8}", 7, "unknown format spec character `=`"),
        ("{level:99999}", 7, "width"),
        ("é{level:<é}", 10, "unknown format spec character `é`"),
    ];
    for (text, offset, message) in cases {
        let e = Template::parse(text).unwrap_err();
        assert_eq!(e.offset, offset, "{text}: {e}");
        assert!(e.message.contains(message), "{text}: {e}");
    }
}
