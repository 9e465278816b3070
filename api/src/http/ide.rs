//! The IDE a browser gets at `GET /graphql`: GraphiQL, with every asset it loads served by
//! this server under `/ide/` (production builds at pinned versions, put into the binary by
//! `build.rs`), so that it works on a network that reaches nothing else. Its docs pane and
//! autocompletion read the schema by introspection.
//!
//! A binary built without the assets (no npm at build time) loads the same files from a CDN
//! instead, each checked against its pinned subresource integrity.
use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

mod assets {
    include!(concat!(env!("OUT_DIR"), "/ide_assets.rs"));
}

/// One file the page loads.
struct Asset {
    /// Its path under `/ide/`: named by its version, so that it can be cached for good.
    path: &'static str,
    /// Where a binary without the files finds them.
    cdn: &'static str,
    /// The file's subresource integrity (SHA-384), the same wherever it comes from.
    integrity: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const GRAPHIQL_CSS: Asset = Asset {
    path: "graphiql-4.1.2.min.css",
    cdn: "https://unpkg.com/graphiql@4.1.2/graphiql.min.css",
    integrity: "sha384-1el1QShFBnnXTx9x/Cprg82hZWKt0ry29OAYIXt05swbi0KcZDFoj0CWguMpopJr",
    content_type: "text/css; charset=utf-8",
    bytes: assets::GRAPHIQL_MIN_CSS,
};

const REACT: Asset = Asset {
    path: "react-18.3.1.production.min.js",
    cdn: "https://unpkg.com/react@18.3.1/umd/react.production.min.js",
    integrity: "sha384-DGyLxAyjq0f9SPpVevD6IgztCFlnMF6oW/XQGmfe+IsZ8TqEiDrcHkMLKI6fiB/Z",
    content_type: "text/javascript; charset=utf-8",
    bytes: assets::REACT_PRODUCTION_MIN_JS,
};

const REACT_DOM: Asset = Asset {
    path: "react-dom-18.3.1.production.min.js",
    cdn: "https://unpkg.com/react-dom@18.3.1/umd/react-dom.production.min.js",
    integrity: "sha384-gTGxhz21lVGYNMcdJOyq01Edg0jhn/c22nsx0kyqP0TxaV5WVdsSH1fSDUf5YJj1",
    content_type: "text/javascript; charset=utf-8",
    bytes: assets::REACT_DOM_PRODUCTION_MIN_JS,
};

const GRAPHIQL_JS: Asset = Asset {
    path: "graphiql-4.1.2.min.js",
    cdn: "https://unpkg.com/graphiql@4.1.2/graphiql.min.js",
    integrity: "sha384-9XdHu7ajgGJziD4J1zNBKQ842Q/+zZfDv+ib1eMhZWBH6hPAs806x+Jbcf0yNO6B",
    content_type: "text/javascript; charset=utf-8",
    bytes: assets::GRAPHIQL_MIN_JS,
};

const ASSETS: [&Asset; 4] = [&GRAPHIQL_CSS, &REACT, &REACT_DOM, &GRAPHIQL_JS];

/// What the editor shows on a first visit: a query that runs as it is.
const FIRST_QUERY: &str = r#"# ▶ (Ctrl-Enter) runs it; the docs open from the top-left icon.
query CountryProfile {
  country(iso3: "KAZ") {
    name
    scores(pillar: CRIMINALITY) { indicator { slug } value delta rank }
  }
}
"#;

/// The URL the page loads an asset from.
fn source(asset: &Asset) -> String {
    if assets::EMBEDDED {
        format!("/ide/{}", asset.path)
    } else {
        asset.cdn.to_owned()
    }
}

/// The IDE's page.
pub fn page() -> Response {
    let first_query = serde_json::to_string(FIRST_QUERY).unwrap_or_default();
    let tag = |asset: &Asset, element: &str| {
        let src = source(asset);
        let integrity = asset.integrity;
        match element {
            "link" => format!(
                r#"<link rel="stylesheet" href="{src}" integrity="{integrity}" crossorigin="anonymous">"#
            ),
            _ => format!(
                r#"<script src="{src}" integrity="{integrity}" crossorigin="anonymous"></script>"#
            ),
        }
    };
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>OCIndex API · GraphiQL</title>
<link rel="icon" href="data:,">
{css}
<style>body {{ margin: 0; }} #graphiql {{ height: 100vh; }}</style>
</head>
<body>
<div id="graphiql">Loading the IDE…</div>
{react}
{react_dom}
{graphiql}
<script>
  const fetcher = GraphiQL.createFetcher({{ url: new URL("/graphql", location.href).href }});
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {{ fetcher, defaultQuery: {first_query} }})
  );
</script>
</body>
</html>
"#,
        css = tag(&GRAPHIQL_CSS, "link"),
        react = tag(&REACT, "script"),
        react_dom = tag(&REACT_DOM, "script"),
        graphiql = tag(&GRAPHIQL_JS, "script"),
    );
    let mut response = Html(html).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `GET /ide/{file}`: an asset, cacheable for good since its name holds its version.
pub async fn asset(Path(file): Path<String>) -> Response {
    let found = ASSETS.iter().find(|asset| asset.path == file && !asset.bytes.is_empty());
    let Some(asset) = found else {
        return (StatusCode::NOT_FOUND, "no such IDE asset").into_response();
    };
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
        (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
    ];
    (headers, asset.bytes).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pinned integrity is that of the embedded bytes: a browser would refuse anything else.
    #[test]
    fn embedded_assets_match_their_integrity() {
        use base64::Engine;
        use sha2::Digest;
        if !assets::EMBEDDED {
            // as with the official dataset: CI must have them, a laptop without npm may not
            assert!(std::env::var_os("CI").is_none(), "CI builds embed the IDE's assets");
            eprintln!("SKIPPED: the IDE's assets are not embedded (no npm at build time)");
            return;
        }
        for asset in ASSETS {
            let digest = sha2::Sha384::digest(asset.bytes);
            let integrity =
                format!("sha384-{}", base64::engine::general_purpose::STANDARD.encode(digest));
            assert_eq!(integrity, asset.integrity, "{}", asset.path);
        }
    }
}
