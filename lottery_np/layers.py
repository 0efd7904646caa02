"""Layers and losses as forward/backward pairs, with the math beside the code.

Every layer is two plain functions::

    out, cache = layer_forward(inputs...)
    grads...   = layer_backward(dout, cache)

``dout`` is ∂L/∂out, the gradient of the scalar loss with respect to the
layer's output; each backward returns the gradients with respect to the
layer's inputs. Shapes: N is the batch size, D the fan-in, M the fan-out.
Weights are stored (fan_in, fan_out), so a layer is ``X W`` and not ``W X``.

A loss is one function ``loss, dlogits = loss_fn(logits, y)``.

This file is the reference, written in plain NumPy. Faster versions of the
Dense layer, with the same signatures, are in ``fast_layers.py`` and are
tested against these.
"""
import numpy as np


# ----------------------------------------------------------------------------
# Masked Dense layer
# ----------------------------------------------------------------------------


def dense_forward(x, w, m, b):
    """Masked affine layer.

    .. math::  Y = X (W \\odot M) + b

    Parameters
    ----------
    x : (N, D) inputs.
    w : (D, M) weights.
    m : (D, M) mask of 0s and 1s; a 0 removes that connection.
    b : (M,) biases (never masked).

    Returns
    -------
    out : (N, M)
    cache : ``(x, w, m)``, what ``dense_backward`` needs.
    """
    out = x @ (w * m) + b  # (N, D) @ (D, M) -> (N, M), + (M,) on every row
    return out, (x, w, m)


def dense_backward(dout, cache, need_dx=True):
    """Gradients of the masked affine layer.

    .. math::
        dX = dY (W \\odot M)^T \\qquad dW = (X^T dY) \\odot M \\qquad db = \\sum_n dY_n

    The mask in ``dW`` is what keeps a pruned weight where it is: its
    gradient is exactly zero.

    Parameters
    ----------
    dout : (N, M) upstream gradient ∂L/∂Y.
    cache : from ``dense_forward``.
    need_dx : False skips dX (the first layer's input is data: nobody needs it).

    Returns
    -------
    dx : (N, D) or None, dw : (D, M), db : (M,)
    """
    x, w, m = cache
    db = dout.sum(axis=0)  # (N, M) -> (M,)
    dx = dout @ (w * m).T if need_dx else None  # (N, M) @ (M, D) -> (N, D)
    dw = (x.T @ dout) * m  # (D, N) @ (N, M) -> (D, M)
    return dx, dw, db


# ----------------------------------------------------------------------------
# ReLU
# ----------------------------------------------------------------------------


def relu_forward(x):
    """ReLU(x) = max(0, x), elementwise.  x: any shape -> same shape."""
    out = np.maximum(x, 0)
    return out, out  # the output is all backward needs: dx = dout where out > 0


def relu_backward(dout, cache):
    """dX = dY · 1[x > 0], elementwise."""
    out = cache
    return dout * (out > 0)


# ----------------------------------------------------------------------------
# Losses
# ----------------------------------------------------------------------------


def softmax_cross_entropy(logits, y):
    """Mean softmax cross-entropy and its gradient (MNIST's loss).

    .. math::
        p = \\mathrm{softmax}(z), \\quad
        L = -\\frac{1}{N}\\sum_n \\log p_{n, y_n}, \\quad
        \\frac{\\partial L}{\\partial z} = \\frac{1}{N}(p - \\mathrm{onehot}(y))

    Parameters
    ----------
    logits : (N, C) scores z.
    y : (N,) integer labels in [0, C).

    Returns
    -------
    loss : float, dlogits : (N, C)
    """
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)  # exp cannot overflow
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # (N, C)
    loss = -log_p[np.arange(n), y].mean()
    dlogits = np.exp(log_p)  # p
    dlogits[np.arange(n), y] -= 1
    dlogits /= n
    return float(loss), dlogits


def sigmoid_binary_cross_entropy(logits, y):
    """Mean binary cross-entropy of a sigmoid output and its gradient (XOR's loss).

    .. math::
        p = \\sigma(z), \\quad
        L = -\\frac{1}{N}\\sum_n [y_n \\log p_n + (1-y_n)\\log(1-p_n)], \\quad
        \\frac{\\partial L}{\\partial z} = \\frac{1}{N}(p - y)

    Computed from z directly, ``L = mean(softplus(z) - y z)``, so that a
    confident output never takes the log of 0.

    Parameters
    ----------
    logits : (N, 1) or (N,) scores z.
    y : (N,) labels in {0, 1}.

    Returns
    -------
    loss : float, dlogits : same shape as ``logits``
    """
    z = logits.reshape(-1)
    y = np.asarray(y, dtype=z.dtype).reshape(-1)
    n = z.shape[0]
    loss = np.mean(np.logaddexp(0, z) - y * z)  # softplus(z) = log(1 + e^z)
    p = sigmoid(z)
    dlogits = ((p - y) / n).reshape(logits.shape)
    return float(loss), dlogits


def sigmoid(z):
    """σ(z) = 1 / (1 + e^{-z}), written so that no exp overflows."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


LOSSES = {
    "softmax_cross_entropy": softmax_cross_entropy,
    "sigmoid_binary_cross_entropy": sigmoid_binary_cross_entropy,
}
