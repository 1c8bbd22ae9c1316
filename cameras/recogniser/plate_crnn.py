"""A small CRNN for number plates, loaded by EasyOCR as a custom recognition network
(`recog_network="plate_crnn"`, this folder as `user_network_directory`).

EasyOCR builds it as `Model(num_class=..., **network_params)` from plate_crnn.yaml and calls
`model(image, text)` on crops 32 high; the output is (batch, width / 4, num_class) for CTC,
class 0 the blank. Small on purpose (under a million parameters), so it reads a plate crop in
about ten milliseconds on one core.
"""

from torch import nn


def _block(channels_in: int, channels_out: int) -> list[nn.Module]:
    return [nn.Conv2d(channels_in, channels_out, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels_out), nn.ReLU(inplace=True)]  # fmt: skip


class Model(nn.Module):
    def __init__(self, input_channel: int, output_channel: int, hidden_size: int, num_class: int):
        super().__init__()
        c = output_channel
        self.features = nn.Sequential(
            *_block(input_channel, c // 8), nn.MaxPool2d(2),  # 16 x W/2
            *_block(c // 8, c // 4), nn.MaxPool2d(2),  # 8 x W/4
            *_block(c // 4, c // 2), *_block(c // 2, c // 2), nn.MaxPool2d((2, 1)),  # 4 x W/4
            *_block(c // 2, c), nn.MaxPool2d((2, 1)),  # 2 x W/4
            *_block(c, c),
        )  # fmt: skip
        self.rnn = nn.LSTM(c, hidden_size, bidirectional=True, batch_first=True)
        self.classifier = nn.Linear(2 * hidden_size, num_class)

    def forward(self, image, text=None):
        features = self.features(image).mean(dim=2)  # over the height: (batch, c, W/4)
        sequence, _ = self.rnn(features.permute(0, 2, 1))
        return self.classifier(sequence)
