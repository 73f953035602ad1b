//! Field-by-field conversion between the host's contract types and the
//! types bindgen generates for an older contract version.

/// `self` as the same value in another version's type.
pub(crate) trait Convert<T> {
    fn convert(self) -> T;
}

macro_rules! identity {
    ($($t:ty),*) => { $(impl Convert<$t> for $t { fn convert(self) -> $t { self } })* };
}
identity!(
    (),
    String,
    bool,
    u8,
    u32,
    i64,
    (String, String),
    crate::contract::PluginError
);

impl<A: Convert<B>, B> Convert<Vec<B>> for Vec<A> {
    fn convert(self) -> Vec<B> {
        self.into_iter().map(Convert::convert).collect()
    }
}

impl<A: Convert<B>, B> Convert<Option<B>> for Option<A> {
    fn convert(self) -> Option<B> {
        self.map(Convert::convert)
    }
}

impl<A: Convert<B>, B, E: Convert<F>, F> Convert<Result<B, F>> for Result<A, E> {
    fn convert(self) -> Result<B, F> {
        self.map(Convert::convert).map_err(Convert::convert)
    }
}

/// `records! { From => To { same_field, ... ; new_field: value, ... } }`:
/// converts the fields both types share, and sets those only `To` has.
macro_rules! records {
    ($($($from:ident)::+ => $($to:ident)::+ { $($field:ident),* $(; $($extra:ident: $value:expr),*)? })*) => {$(
        impl Convert<$($to)::+> for $($from)::+ {
            fn convert(self) -> $($to)::+ {
                $($to)::+ {
                    $($field: Convert::convert(self.$field),)*
                    $($($extra: $value,)*)?
                }
            }
        }
    )*};
}

/// `enums! { From => To { Variant, ... } }`: C-like enums and variants whose
/// payloads convert.
macro_rules! enums {
    ($($($from:ident)::+ => $($to:ident)::+ { $($variant:ident $(($x:ident))?),* })*) => {$(
        impl Convert<$($to)::+> for $($from)::+ {
            fn convert(self) -> $($to)::+ {
                type To = $($to)::+;
                match self {
                    $(Self::$variant $(($x))? => To::$variant $((Convert::convert($x)))?,)*
                }
            }
        }
    )*};
}

pub(crate) use {enums, records};
