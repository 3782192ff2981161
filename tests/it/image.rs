//! `image-transform` through its Object Lambda Access Point, with the caller's identity in the
//! watermark.

use image_transform::{CallerInfo, Config};
use object_lambda_emulator::test_util::{
    TestEmulator, body_bytes, get_error, get_object, in_process, put_bytes, sample, status_and_code,
};

const AP: &str = "image-transform";
const PAYLOAD: &str = r#"{"width":300,"quality":85,"watermark":{"text":"{user_name} @ {account_id}","position":"southeast","font_size":0.08}}"#;

async fn env(payload: &str) -> TestEmulator {
    TestEmulator::one(
        AP,
        payload,
        in_process(image_transform::function::ImageTransform),
    )
    .await
}

/// What the library makes of the sample photo for a caller named `user`.
fn expected_for(user: &str) -> Vec<u8> {
    let photo = sample("photo.jpg");
    let config: Config = serde_json::from_str(PAYLOAD).expect("payload");
    let caller = CallerInfo {
        principal_id: String::new(),
        arn: String::new(),
        account_id: object_lambda_emulator::DEFAULT_ACCOUNT_ID.into(),
        user_name: Some(user.into()),
        key: "photo.jpg".into(),
        date: String::new(),
    };
    image_transform::transform(photo, &config, &caller, None)
        .expect("transform")
        .bytes
        .to_vec()
}

#[tokio::test]
async fn resized_upright_and_watermarked_with_the_callers_name() {
    let env = env(PAYLOAD).await;
    let got = get_object(&env.s3, AP, "photo.jpg").await;
    assert_eq!(got.content_type(), Some("image/jpeg"));
    let bytes = body_bytes(got).await.to_vec();
    let img = image::load_from_memory(&bytes).expect("a JPEG");
    // Stored 450x600 with EXIF orientation 6: displayed 600x450, so 300 wide is 300x225.
    assert_eq!((img.width(), img.height()), (300, 225));
    // The emulator's caller is `emulator-user`: the output is exactly the library's rendering
    // for that name, and differs from another caller's.
    assert_eq!(bytes, expected_for("emulator-user"));
    assert_ne!(bytes, expected_for("someone-else"));
}

#[tokio::test]
async fn hostile_images_are_4xx() {
    let env = env(PAYLOAD).await;
    let cases: [(&str, &[u8], &str); 3] = [
        (
            "truncated.png",
            include_bytes!("../../functions/image-transform/testdata/png_truncated_10kb.png"),
            "InvalidObjectContent",
        ),
        (
            "corrupt.jpg",
            include_bytes!("../../functions/image-transform/testdata/jpeg_corrupt_header.jpg"),
            "InvalidObjectContent",
        ),
        (
            "report.pdf",
            b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n",
            "UnsupportedContentType",
        ),
    ];
    for (key, body, code) in cases {
        put_bytes(&env.s3, "demo", key, body).await;
        let err = get_error(&env.s3, AP, key).await;
        assert_eq!(
            status_and_code(&err),
            (400, code.to_owned()),
            "{key}: {err:?}"
        );
    }
}
