/**
 * The Python source of the PyTorch modules that model.py is built from, one entry per module class.
 * The exporter copies only the classes a model uses (plus what they depend on), so model.py stays short.
 *
 * Every class reproduces the `call()` of a tfjs layer in `runtime/layers/` exactly, on the same
 * channels-last tensors ([B, H, W, C] images, [B, L, C] sequences): numbers must match tfjs to 1e-4.
 * Written for torch ≥ 1.13 (Debian's python3-torch); nothing here needs numpy.
 */

export interface PyClass {
  /** Python source: top-level definitions, separated from the next entry by two blank lines. */
  source: string;
  /** Other entries this one uses. */
  needs?: string[];
}

export const PY_CLASSES: Record<string, PyClass> = {
  Group: {
    source: String.raw`class Group(nn.Module):
    """A studio node that holds other layers (a Stage, a Heracles block, an FFN ...); names follow the node path."""`,
  },

  Conv2d: {
    source: String.raw`class Conv2d(nn.Conv2d):
    """nn.Conv2d on channels-last images [B, H, W, C], like the studio's layer."""

    def forward(self, x):
        return super().forward(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)`,
  },

  Conv1d: {
    source: String.raw`class Conv1d(nn.Conv1d):
    """nn.Conv1d on channels-last sequences [B, L, C], like the studio's layer."""

    def forward(self, x):
        return super().forward(x.transpose(1, 2)).transpose(1, 2)`,
  },

  DepthwiseConv: {
    source: String.raw`class DepthwiseConv(nn.Module):
    """Depthwise convolution with 'same' padding and stride 1, plus bias, on images [B, H, W, C]
    (kernel kh x kw) or sequences [B, L, C] (run as one row, kernel 1 x k)."""

    def __init__(self, channels, kh, kw):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(channels, 1, kh, kw))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        seq = x.dim() == 3
        if seq:
            x = x.unsqueeze(1)
        kh, kw = self.weight.shape[2], self.weight.shape[3]
        # 'same' as tfjs computes it: an even kernel puts its extra padding after.
        y = F.pad(x.permute(0, 3, 1, 2), ((kw - 1) // 2, kw // 2, (kh - 1) // 2, kh // 2))
        y = F.conv2d(y, self.weight, self.bias, groups=self.weight.shape[0]).permute(0, 2, 3, 1)
        return y.squeeze(1) if seq else y`,
  },

  SpectralTransform: {
    source: String.raw`def _angles(n):
    """2*pi*k*m/n for k, m < n, with k*m reduced modulo n first (accurate for large n), in float64."""
    i = torch.arange(n, dtype=torch.int64)
    return 2 * math.pi * ((i[:, None] * i[None, :]) % n).double() / n


def cos_matrix(n):
    return torch.cos(_angles(n)) / math.sqrt(n)


def sin_matrix(n):
    return torch.sin(_angles(n)) / math.sqrt(n)


def dct_matrix(n):
    """Orthonormal DCT-II: D[k, m] = s_k cos(pi k (2m + 1) / 2n); orthogonal, so the inverse is D^T."""
    k = torch.arange(n, dtype=torch.int64)[:, None]
    m = torch.arange(n, dtype=torch.int64)[None, :]
    a = 2 * math.pi * ((k * (2 * m + 1)) % (4 * n)).double() / (4 * n)
    s = torch.full((n, 1), math.sqrt(2 / n), dtype=torch.float64)
    s[0, 0] = math.sqrt(1 / n)
    return s * torch.cos(a)


class SpectralTransform(nn.Module):
    """The real transforms of the global SSM over the token axes of [B, H, W, C], as products with
    constant matrices (built in float64, kept as float32 buffers, not weights):
      dht2d: the true 2-D Hartley transform, Y = CAS_H X C_W + (C_H - S_H) X S_W (its own inverse);
      dct:   the orthonormal 2-D DCT-II, Y = D_H X D_W^T, inverse X = D_H^T Y D_W;
      dht1d: the 1-D Hartley transform along W only (its own inverse)."""

    def __init__(self, kind, h, w):
        super().__init__()
        self.kind = kind
        mats = {}
        if kind == "dht2d":
            c_h, s_h = cos_matrix(h), sin_matrix(h)
            mats = {"cas_h": c_h + s_h, "cms_h": c_h - s_h, "c_w": cos_matrix(w), "s_w": sin_matrix(w)}
        elif kind == "dct":
            mats = {"d_h": dct_matrix(h), "d_w": dct_matrix(w)}
        elif kind == "dht1d":
            mats = {"cas_w": cos_matrix(w) + sin_matrix(w)}
        else:
            raise ValueError(f"unknown spectral transform {kind!r}; expected dht2d, dct or dht1d")
        for name, m in mats.items():
            self.register_buffer(name, m.float(), persistent=False)

    def transform(self, x):
        if self.kind == "dht2d":
            xc = torch.einsum("bhwc,wv->bhvc", x, self.c_w)
            xs = torch.einsum("bhwc,wv->bhvc", x, self.s_w)
            return torch.einsum("uh,bhvc->buvc", self.cas_h, xc) + torch.einsum("uh,bhvc->buvc", self.cms_h, xs)
        if self.kind == "dct":
            y = torch.einsum("bhwc,vw->bhvc", x, self.d_w)
            return torch.einsum("uh,bhvc->buvc", self.d_h, y)
        return torch.einsum("bhwc,vw->bhvc", x, self.cas_w)

    def inverse(self, y):
        if self.kind == "dct":
            x = torch.einsum("buvc,vw->buwc", y, self.d_w)
            return torch.einsum("uh,buwc->bhwc", self.d_h, x)
        return self.transform(y)`,
  },

  SpectralFilter: {
    needs: ['SpectralTransform'],
    source: String.raw`class SpectralFilter(nn.Module):
    """The global SSM: T^-1(W * T(x)) with a real transform T over the token axes and a learned real
    weight W shaped like the tokens ([H, W, C], or [L, C] for sequences, run as one row)."""

    def __init__(self, kind, shape):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(*shape))
        h, w = (1, shape[0]) if len(shape) == 2 else (shape[0], shape[1])
        self.spectral = SpectralTransform(kind, h, w)

    def forward(self, x):
        seq = x.dim() == 3
        x4 = x.unsqueeze(1) if seq else x
        w = self.weight.unsqueeze(0) if seq else self.weight
        y = self.spectral.inverse(self.spectral.transform(x4) * w)
        return y.squeeze(1) if seq else y`,
  },

  HeraclesMixer: {
    needs: ['DepthwiseConv', 'SpectralFilter'],
    source: String.raw`class HeraclesMixer(nn.Module):
    """The Heracles token mixer: the first half of the channels goes through the local SSM (depthwise
    conv), the second through the global SSM (spectral filter); outputs are interleaved (channel 2i from
    the local branch, 2i + 1 from the global one)."""

    def __init__(self, kind, shape, kh, kw):
        super().__init__()
        half = shape[-1] // 2
        self.local = DepthwiseConv(half, kh, kw)
        self.spectral = SpectralFilter(kind, list(shape[:-1]) + [half])

    def forward(self, x):
        a, b = x.chunk(2, dim=-1)
        y = torch.stack([self.local(a), self.spectral(b)], dim=-1)
        return y.reshape(*y.shape[:-2], 2 * a.shape[-1])`,
  },

  BatchNorm: {
    source: String.raw`class BatchNorm(nn.Module):
    """BatchNorm over the last (channel) axis. Training uses the batch statistics and updates the running
    ones PyTorch's way (unbiased variance); eval, or a frozen layer, uses the running statistics."""

    def __init__(self, channels, eps, momentum, frozen=False):
        super().__init__()
        self.eps = eps
        self.momentum = momentum  # PyTorch's: the weight of the new batch in the running statistics
        self.frozen = frozen
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))

    def forward(self, x):
        c = x.shape[-1]
        y = F.batch_norm(
            x.reshape(-1, c), self.running_mean, self.running_var, self.weight, self.bias,
            self.training and not self.frozen, self.momentum, self.eps,
        )
        return y.reshape(x.shape)`,
  },

  attend: {
    source: String.raw`def attend(q, k, v, heads):
    """Multi-head attention of q [B, Nq, C] over k, v [B, N, C]: softmax(q k^T / sqrt(d)) v per head."""
    b, nq, c = q.shape
    n = k.shape[1]
    d = c // heads

    def split(t, length):
        return t.reshape(b, length, heads, d).permute(0, 2, 1, 3)

    attn = torch.softmax(torch.matmul(split(q, nq) * (1 / math.sqrt(d)), split(k, n).transpose(-1, -2)), dim=-1)
    return torch.matmul(attn, split(v, n)).permute(0, 2, 1, 3).reshape(b, nq, c)`,
  },

  SelfAttention: {
    needs: ['attend'],
    source: String.raw`class SelfAttention(nn.Module):
    """Multi-head self-attention over all tokens (image tokens are flattened); with rows, each row of
    [B, H, W, C] attends alone (channel-independent series)."""

    def __init__(self, channels, heads, rows=False):
        super().__init__()
        self.heads = heads
        self.rows = rows
        self.q = nn.Linear(channels, channels)
        self.kv = nn.Linear(channels, 2 * channels)
        self.proj = nn.Linear(channels, channels)

    def forward(self, x):
        t = x
        if x.dim() == 4:
            t = x.reshape(-1, x.shape[2], x.shape[3]) if self.rows else x.reshape(x.shape[0], -1, x.shape[3])
        c = t.shape[-1]
        k, v = self.kv(t).split(c, dim=-1)
        return self.proj(attend(self.q(t), k, v, self.heads)).reshape(x.shape)`,
  },

  ClassAttention: {
    needs: ['attend'],
    source: String.raw`class ClassAttention(nn.Module):
    """CaiT-style class attention: a class token (the mean of the tokens) attends over [cls, tokens],
    then a class-token FFN. Output: the class token [B, C]."""

    def __init__(self, channels, heads, mlp_ratio, eps):
        super().__init__()
        hidden = round(channels * mlp_ratio)
        self.heads = heads
        self.norm1 = nn.LayerNorm(channels, eps=eps)
        self.q = nn.Linear(channels, channels)
        self.kv = nn.Linear(channels, 2 * channels)
        self.proj = nn.Linear(channels, channels)
        self.norm2 = nn.LayerNorm(channels, eps=eps)
        self.fc1 = nn.Linear(channels, hidden)
        self.fc2 = nn.Linear(hidden, channels)

    def forward(self, x):
        t = x.reshape(x.shape[0], -1, x.shape[-1]) if x.dim() == 4 else x
        c = t.shape[-1]
        cls = t.mean(dim=1, keepdim=True)
        u = self.norm1(torch.cat([cls, t], dim=1))
        k, v = self.kv(u).split(c, dim=-1)
        cls = cls + self.proj(attend(self.q(u[:, :1]), k, v, self.heads))
        cls = cls + self.fc2(F.gelu(self.fc1(self.norm2(cls))))
        return cls.squeeze(1)`,
  },

  DropPath: {
    source: String.raw`class DropPath(nn.Module):
    """Stochastic depth: in training, zeroes a whole sample's branch with probability rate and scales
    the rest by 1 / (1 - rate); the identity in eval."""

    def __init__(self, rate):
        super().__init__()
        self.rate = rate

    def forward(self, x):
        if not self.training or self.rate <= 0:
            return x
        keep = 1 - self.rate
        shape = (x.shape[0],) + (1,) * (x.dim() - 1)
        mask = torch.floor(torch.rand(shape, dtype=x.dtype, device=x.device) + keep)
        return x * mask / keep`,
  },

  RevIN: {
    source: String.raw`def window_stats(x, eps):
    """Mean and standard deviation over time (axis 1) of [B, L, C], kept as [B, 1, C]."""
    mean = x.mean(dim=1, keepdim=True)
    return mean, torch.sqrt(x.var(dim=1, unbiased=False, keepdim=True) + eps)


class RevIN(nn.Module):
    """Reversible instance normalisation (no affine part): standardises each series of each window."""

    def __init__(self, eps):
        super().__init__()
        self.eps = eps

    def forward(self, x):
        mean, std = window_stats(x, self.eps)
        return (x - mean) / std


class RevINDenorm(nn.Module):
    """Maps a forecast [B, T, C] back to the scale of the original window [B, L, C]."""

    def __init__(self, eps):
        super().__init__()
        self.eps = eps

    def forward(self, y, x):
        mean, std = window_stats(x, self.eps)
        return y * std + mean`,
  },
};

/** The entries `names` need, dependencies first, each once. */
export function pyClassesFor(names: Iterable<string>): string[] {
  const out: string[] = [];
  const visit = (n: string) => {
    if (out.includes(n)) return;
    const c = PY_CLASSES[n];
    if (!c) throw new Error(`no Python source for "${n}"`);
    c.needs?.forEach(visit);
    out.push(n);
  };
  for (const n of names) visit(n);
  return out;
}
