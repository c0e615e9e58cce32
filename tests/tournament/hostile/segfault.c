/* Dereferences NULL after a few honest steps. */
tplr_err inner_steps(tplr_model *model, tplr_tour_data *it, tplr_adamw *opt, int n, const tplr_tour_device *dev,
                     tplr_inner_steps_result *res)
{
    tplr_err e = reference_inner_steps(model, it, opt, n - 1, dev, res);
    *(volatile int *)0 = (int)e;
    return e;
}
