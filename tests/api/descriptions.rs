//! Frontend developers read the schema in their IDE's docs pane and in generated code: every
//! element they can name there explains itself. The schema is read the way their tools read
//! it, by introspection.
use serde_json::Value;

/// The scalars the GraphQL specification defines: their meaning is the specification's.
const SPECIFIED_SCALARS: [&str; 5] = ["String", "Int", "Float", "Boolean", "ID"];

const INTROSPECTION: &str = r#"{
  __schema {
    types {
      kind name description
      fields(includeDeprecated: true) { name description args { name description } }
      inputFields { name description }
      enumValues(includeDeprecated: true) { name description }
    }
  }
}"#;

/// Every type, field, argument, input field and enum value of the served schema that has
/// no description (or only blanks), by its coordinate (`Type.field(argument:)`).
async fn undescribed() -> Vec<String> {
    let response = ocindex::graphql::schema().execute(INTROSPECTION).await;
    assert!(response.errors.is_empty(), "introspection failed: {:?}", response.errors);
    let data = response.data.into_json().expect("introspection answers JSON");
    let types = data["__schema"]["types"].as_array().expect("a list of types");
    let mut missing = Vec::new();
    let blank =
        |element: &Value| element["description"].as_str().is_none_or(|text| text.trim().is_empty());
    let name = |element: &Value| element["name"].as_str().unwrap_or_default().to_owned();
    for ty in types {
        let type_name = name(ty);
        if type_name.starts_with("__") || SPECIFIED_SCALARS.contains(&type_name.as_str()) {
            continue;
        }
        if blank(ty) {
            missing.push(type_name.clone());
        }
        for field in ty["fields"].as_array().into_iter().flatten() {
            let field_name = name(field);
            if blank(field) {
                missing.push(format!("{type_name}.{field_name}"));
            }
            for argument in field["args"].as_array().into_iter().flatten() {
                if blank(argument) {
                    missing.push(format!("{type_name}.{field_name}({}:)", name(argument)));
                }
            }
        }
        for input_field in ty["inputFields"].as_array().into_iter().flatten() {
            if blank(input_field) {
                missing.push(format!("{type_name}.{}", name(input_field)));
            }
        }
        for value in ty["enumValues"].as_array().into_iter().flatten() {
            if blank(value) {
                missing.push(format!("{type_name}.{}", name(value)));
            }
        }
    }
    missing
}

#[tokio::test]
async fn every_schema_element_is_described() {
    let missing = undescribed().await;
    assert!(
        missing.is_empty(),
        "{} schema elements have no description; give each a doc comment (`///`) or \
         `#[graphql(desc = \"…\")]`:\n{}",
        missing.len(),
        missing.join("\n")
    );
}

/// The walk itself finds what it should: the introspection answer names the core types,
/// their fields, arguments and enum values (a walk that saw nothing would pass vacuously).
#[tokio::test]
async fn the_description_walk_sees_the_whole_schema() {
    let response = ocindex::graphql::schema().execute(INTROSPECTION).await;
    let data = response.data.into_json().expect("introspection answers JSON");
    let types = data["__schema"]["types"].as_array().expect("a list of types");
    let find = |name: &str| {
        types.iter().find(|ty| ty["name"] == name).unwrap_or_else(|| panic!("type {name} listed"))
    };
    let country = find("Country");
    let continent = country["fields"]
        .as_array()
        .and_then(|fields| fields.iter().find(|field| field["name"] == "continent"))
        .expect("Country.continent listed");
    assert_eq!(continent["args"][0]["name"], "edition");
    let pillars: Vec<&str> = find("Pillar")["enumValues"]
        .as_array()
        .expect("Pillar's values")
        .iter()
        .filter_map(|value| value["name"].as_str())
        .collect();
    assert_eq!(pillars, ["CRIMINALITY", "CRIMINAL_MARKETS", "CRIMINAL_ACTORS", "RESILIENCE"]);
    assert!(find("CountryWhere")["inputFields"].as_array().is_some_and(|fields| fields.len() > 3));
}
