# The AutoAssign recipe trained with the train_pipeline of MMDetection 3.3's
# configs/centernet/centernet_r18-dcnv2_8xb16-crop512-140e_coco.py, copied as written (PhotoMetricDistortion makes the
# image float32, RandomCenterCropPad crops around a random centre, Resize brings it to 512). Its test_pipeline (test_mode
# RandomCenterCropPad, no Resize) is not taken: the base's is kept. For RandomCenterCropPadConfigTest.
_base_ = '../autoassign/autoassign_r50-caffe_fpn_1x_coco.py'

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PhotoMetricDistortion',
        brightness_delta=32,
        contrast_range=(0.5, 1.5),
        saturation_range=(0.5, 1.5),
        hue_delta=18),
    dict(
        type='RandomCenterCropPad',
        # The cropped images are padded into squares during training,
        # but may be less than crop_size.
        crop_size=(512, 512),
        ratios=(0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3),
        mean=[0, 0, 0],
        std=[1, 1, 1],
        to_rgb=True,
        test_pad_mode=None),
    # Make sure the output is always crop_size.
    dict(type='Resize', scale=(512, 512), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
